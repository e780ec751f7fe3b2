/**
 * 繁體中文（香港）。Every key of the English catalogue, in the register of HKSCC's Chinese
 * circulars: 參與者編號, 用戶編號, 密碼, 一次性密碼, 授權管理員 (Delegated Administrator),
 * 指定電郵地址 (designated email address), 智能卡 (smartcard).
 */
import type { MessageKey } from './en.js';

export const zhHant: Record<MessageKey, string> = {
  'site.name': '中央結算系統身分認證',
  'layout.skip': '跳至主要內容',
  'layout.language': '語言',
  'layout.switchTo': 'English',
  'layout.switchToLabel': 'English',
  'layout.reference': '如就此致電中央結算系統熱線，請提供參考編號 {reference}。',

  'login.pageTitle': '登入',
  'login.heading': '登入{client}',
  'login.participantId': '參與者編號',
  'login.userId': '用戶編號',
  'login.password': '密碼',
  'login.submit': '登入',
  'login.or': '或',
  'login.smartcard': '使用智能卡登入',
  'login.unavailable': '現時未能登入{client}。請參閱香港結算最新通告，或向您的授權管理員查詢。',
  'login.cancel': '取消並返回{client}',

  'otp.pageTitle': '輸入一次性密碼',
  'otp.heading': '輸入一次性密碼',
  'otp.helpTotp': '請開啟您的驗證器應用程式，輸入您的中央結算系統帳戶所顯示的 {digits} 位數字密碼。',
  'otp.helpEmail': '我們已將 6 位數字密碼發送至您的指定電郵地址 {email}。密碼只可使用一次，並會在數分鐘後失效。',
  'otp.changingMethod': '輸入此密碼後，您可選擇新的接收密碼方式。',
  'otp.changingPassword': '輸入此密碼後，您可設定新密碼。',
  'otp.code': '一次性密碼',
  'otp.submit': '繼續',
  'otp.resend': '發送新密碼',
  'otp.lostPhone': '遺失手機或驗證器應用程式？請要求您的授權管理員重設您的第二重認證。',
  'otp.changeMethod': '更改接收密碼的方式',
  'otp.changePassword': '更改我的密碼',
  'otp.sent': '我們已將新密碼發送至您的指定電郵地址。',
  'otp.wait': '請等候 {seconds} 秒後再要求新密碼。',

  'method.pageTitle': '選擇接收密碼的方式',
  'method.heading': '您希望如何接收一次性密碼？',
  'method.introChange': '請選擇新的接收密碼方式。在新方式設定完成前，現有方式仍然有效。',
  'method.introFirst': '由現在起，您須以密碼及一次性密碼登入。請選擇接收一次性密碼的方式。',
  'method.totpNewPhone': '新手機上的驗證器應用程式',
  'method.totpRecommended': '驗證器應用程式（建議）',
  'method.totpHelp': 'Google Authenticator、Microsoft Authenticator、FreeOTP 或任何可掃描 QR 碼的應用程式。不受電郵延誤影響。',
  'method.email': '以電郵發送至 {email}',
  'method.emailHelp': '每次登入時均會以電郵發送新密碼。',

  'enrol.pageTitle': '設定驗證器應用程式',
  'enrol.heading': '設定驗證器應用程式',
  'enrol.step1': '在您的驗證器應用程式中新增帳戶，並掃描此 QR 碼。',
  'enrol.step2': '輸入應用程式隨後顯示的 {digits} 位數字密碼。',
  'enrol.qrAlt': '用於將您的中央結算系統帳戶加入驗證器應用程式的 QR 碼',
  'enrol.manual': '無法掃描？請手動輸入密鑰',
  'enrol.account': '帳戶：{account}。密鑰（以時間為基礎）：',
  'enrol.code': '應用程式顯示的密碼',
  'enrol.submit': '啟用並繼續',

  'activate.pageTitle': '設定密碼',
  'activate.heading': '設定您的中央結算系統密碼',
  'activate.for': '參與者 {participant} 的用戶 {user}。',
  'password.help': '請使用最少 {min} 個字元。由數個互不相關的字詞組成的密碼既安全又容易記住。常見密碼及您的用戶編號不獲接受；毋須使用符號或數字。',
  'activate.newPassword': '新密碼',
  'activate.again': '再次輸入',
  'activate.submit': '設定密碼並繼續',
  'done.pageTitle': '您的登入已設定完成',
  'done.heading': '您的登入已設定完成',
  'done.totp': '由現在起，請以參與者編號、用戶編號、密碼及驗證器應用程式提供的一次性密碼登入中央結算系統。',
  'done.email': '由現在起，請以參與者編號、用戶編號、密碼及發送至您指定電郵地址的一次性密碼登入中央結算系統。',
  'done.lostTotp': '如您無法再使用驗證器應用程式，請要求您的授權管理員重設您的第二重認證。',
  'done.lostEmail': '如您無法再使用您的電郵，請要求您的授權管理員重設您的第二重認證。',

  'change.pageTitle': '更改密碼',
  'change.heading': '更改您的中央結算系統密碼',
  'change.sessionsEnd': '更改密碼後，您在其他地方的登入工作階段將會結束。',
  'change.current': '現有密碼',
  'change.newPassword': '新密碼',
  'change.again': '再次輸入新密碼',
  'change.submit': '更改密碼並繼續',

  'consent.pageTitle': '允許存取',
  'consent.heading': '{client}要求得知您的身分',
  'consent.receives': '如您繼續，{client}將會收到：',
  'consent.continue': '繼續',
  'consent.cancel': '取消',

  'logout.pageTitle': '登出',
  'logout.heading': '登出中央結算系統身分認證？',
  'logout.yes': '是，登出',
  'logout.no': '否，保持登入',
  'loggedOut.pageTitle': '已登出',
  'loggedOut.heading': '您已登出',
  'loggedOut.close': '您可關閉此視窗。',

  'dms.brand': '中央結算系統 DMS · {participant}',
  'dms.navLabel': 'DMS',
  'dms.nav.users': '用戶',
  'dms.nav.upload': '上載電郵',
  'dms.nav.readiness': '準備情況',
  'dms.nav.audit': '審計記錄',
  'dms.logout': '登出 {user}',

  'error.notAccepted': '要求不獲接納',
  'error.somethingWrong': '發生錯誤',
  'error.signInStopped': '登入未能繼續',
  'error.pleaseWait': '請稍候',
  'error.tooManyAttempts': '來自您網絡的嘗試次數過多。請等候 {minutes} 分鐘後再試。',
  'error.tooManyAttemptsOne': '來自您網絡的嘗試次數過多。請等候 1 分鐘後再試。',
};

/**
 * Sentences that code outside the pages produces in English (login refusals, link problems,
 * password rules), in Chinese. Keyed by the English text: those modules return plain text.
 */
export const zhHantSentences: Readonly<Record<string, string>> = {
  'The participant ID, user ID or password is not correct.': '參與者編號、用戶編號或密碼不正確。',
  'Enter your participant ID, user ID and password.': '請輸入您的參與者編號、用戶編號及密碼。',
  'That code is not correct, or it has already been used. Enter the current code.': '密碼不正確或已被使用。請輸入目前的密碼。',
  'Too many failed attempts: your account is locked for now. Try again later, or ask your Delegated Administrator to unlock it.':
    '失敗嘗試次數過多：您的帳戶暫時被鎖定。請稍後再試，或要求您的授權管理員解鎖。',
  'Your smartcard could not be accepted. Log in with your password and one-time code, or contact HKSCC about your smartcard.':
    '您的智能卡未獲接納。請以密碼及一次性密碼登入，或就您的智能卡聯絡香港結算。',
  'Your smartcard certificate has expired. Log in with your password and one-time code, or contact HKSCC about a new smartcard.':
    '您的智能卡證書已過期。請以密碼及一次性密碼登入，或聯絡香港結算申領新智能卡。',
  'This smartcard has been revoked. Log in with your password and one-time code, or contact HKSCC.': '此智能卡已被撤銷。請以密碼及一次性密碼登入，或聯絡香港結算。',
  'This smartcard is not registered to a CCASS user. Log in with your password and one-time code, or contact HKSCC to register the card.':
    '此智能卡並未登記予任何中央結算系統用戶。請以密碼及一次性密碼登入，或聯絡香港結算登記此卡。',
  'Your account is disabled. Ask your Delegated Administrator.': '您的帳戶已被停用。請向您的授權管理員查詢。',
  'The form was incomplete. Go back and try again.': '表格資料不完整。請返回再試。',
  'Your form expired. Please go back and try again.': '表格已失效。請返回再試。',
  'Your form expired. Go back, reload the page and try again.': '表格已失效。請返回、重新載入頁面再試。',
  'This login step is already complete.': '此登入步驟已完成。',
  'This step does not apply to your login now. Go back and follow the page shown.': '此步驟現時不適用於您的登入。請返回並按頁面指示操作。',
  'You cannot log in now': '您現時未能登入',
  'You cannot log in this way now': '您現時未能以此方式登入',
  'Your login has expired': '您的登入已逾時',
  'This login page has expired or was opened in another browser. Go back to the application you were using and start the login again.':
    '此登入頁面已逾時，或已在另一瀏覽器開啟。請返回您正在使用的應用程式，重新開始登入。',
  'Your account is not ready for login yet': '您的帳戶尚未可以登入',
  'A second factor is needed to log in, and your account has no designated email address to set one up. Ask your Delegated Administrator to register your email address.':
    '登入須使用第二重認證，但您的帳戶並無指定電郵地址以作設定。請要求您的授權管理員登記您的電郵地址。',
  'Smartcard login is not available': '未能使用智能卡登入',
  'This server does not accept smartcards. Log in with your password and one-time code.': '此伺服器不接受智能卡。請以密碼及一次性密碼登入。',
  'No smartcard certificate': '沒有智能卡證書',
  'Your browser did not present a smartcard certificate. Insert your smartcard, check that its software is running, and try again, or log in with your password and one-time code.':
    '您的瀏覽器未有提供智能卡證書。請插入智能卡、確認其軟件正在運行後再試，或以密碼及一次性密碼登入。',
  'Smartcard login is not accepted': '不接受智能卡登入',
  'Smartcard not accepted': '智能卡未獲接納',
  'That code has expired or was tried too many times. Ask for a new code below.': '此密碼已失效或嘗試次數過多。請於下方要求新密碼。',
  'That code is not correct. Enter the code from the email.': '密碼不正確。請輸入電郵中的密碼。',
  'The passwords do not match.': '兩次輸入的密碼不相符。',
  'The current password is not correct.': '現有密碼不正確。',
  // Activation links (enrolment/routes.ts).
  'This activation link is not valid': '此啟用連結無效',
  'The link is incomplete or was changed. Open it again from the email, or ask your Delegated Administrator to send a new one.':
    '連結不完整或已被更改。請從電郵再次開啟，或要求您的授權管理員發送新連結。',
  'This activation link has already been used': '此啟用連結已被使用',
  'Each link works once. If you set your password, log in from CCASS Terminal. Otherwise ask your Delegated Administrator to send a new link.':
    '每條連結只可使用一次。如您已設定密碼，請從中央結算系統終端機登入；否則請要求您的授權管理員發送新連結。',
  'This activation link has expired': '此啟用連結已過期',
  'Ask your Delegated Administrator to send you a new activation link.': '請要求您的授權管理員向您發送新的啟用連結。',
  'This activation link has been replaced': '此啟用連結已被取代',
  'A newer link was sent, or your designated email address changed. Use the newest activation email, or ask your Delegated Administrator to send a new one.':
    '已發送較新的連結，或您的指定電郵地址已更改。請使用最新的啟用電郵，或要求您的授權管理員發送新連結。',
  'This activation link cannot be used': '此啟用連結不能使用',
  'Your login is already set up or has been disabled. Log in from CCASS Terminal, or ask your Delegated Administrator.':
    '您的登入已設定或已被停用。請從中央結算系統終端機登入，或向您的授權管理員查詢。',
  'Open the link from your email': '請開啟電郵中的連結',
  'To set your password, open the activation link in the email your Delegated Administrator had sent to you.': '如要設定密碼，請開啟您的授權管理員安排發送給您的電郵中的啟用連結。',
  'Your activation page expired. Open the activation link in your email again.': '您的啟用頁面已逾時。請再次開啟電郵中的啟用連結。',
  'Your set-up page has expired': '您的設定頁面已逾時',
  'If you already set your password, log in from CCASS Terminal: you will be asked to set up your one-time codes there. Otherwise open the activation link in your email again.':
    '如您已設定密碼，請從中央結算系統終端機登入，屆時將要求您設定一次性密碼；否則請再次開啟電郵中的啟用連結。',
  'The request could not be understood.': '未能理解此要求。',
  'The page you asked for does not exist.': '您要求的頁面不存在。',
};
