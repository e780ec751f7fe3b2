/**
 * Security keys and passkeys (WebAuthn) and recovery codes during a login, and the smartcard
 * bridge that registers a key while the card still works, in English and Traditional Chinese.
 * One file per area of the service; `en.ts` gathers them into the catalogue.
 */
export const securityKeysEn = {
  'dms.factor.webauthn': 'Security key or passkey',
  'done.webauthn': 'From now on, log in to CCASS with your participant ID, user ID, password and your security key or passkey.',
  'done.lostWebauthn': 'If you lose your security key, log in with a recovery code or your one-time codes, or ask your Delegated Administrator to reset your second factor.',

  'done.securityPage': 'Add a security key and make recovery codes on your security page, so a lost phone never locks you out',
  'key.pageTitle': 'Use your security key',
  'key.heading': 'Use your security key or passkey',
  'key.help': 'Select the button below, then touch your security key or confirm with your device (PIN, fingerprint or face) when your browser asks.',
  'key.button': 'Use security key or passkey',
  'key.unsupported': 'This browser cannot use security keys or passkeys. Use an up-to-date browser, or another way to log in below.',
  'key.scriptNeeded': 'Your browser must allow this page’s script to use a security key.',
  'key.failed': 'The security key was not accepted. Try again with a key registered to your login.',
  'key.useCode': 'Use a one-time code instead',
  'key.useKey': 'Use my security key or passkey instead',
  'key.useRecovery': 'Use a recovery code',
  'key.defaultName': 'Security key registered on {date}',

  'recovery.pageTitle': 'Use a recovery code',
  'recovery.heading': 'Use a recovery code',
  'recovery.help': 'Enter one of the recovery codes you saved when you set them up. Each code works once. After it, you set up a new way to receive codes, and we tell you by email.',
  'recovery.code': 'Recovery code',
  'recovery.submit': 'Continue',
  'recovery.wrong': 'That recovery code is not correct, or it was used already.',
  'recovery.back': 'Back to the other ways to log in',
  'recovery.used': 'You logged in with a recovery code. Set up how you will receive one-time codes from now on.',

  'login.error.needsKeyTitle': 'A security key is needed',
  'login.error.needsKey': '{client} accepts only a phishing-resistant login: a security key, a passkey or (while smartcards work) your smartcard. Your login has none yet. Register a security key on your security page, or ask your Delegated Administrator.',

  'bridge.pageTitle': 'Add a security key',
  'bridge.heading': 'Add a security key before smartcards end',
  'bridge.intro': 'Smartcard logins end when the migration to two-factor login completes. A security key or passkey is just as safe against phishing. Your smartcard vouches for the key you register now.',
  'bridge.name': 'Name of this key (so you can tell your keys apart)',
  'bridge.register': 'Register a security key now',
  'bridge.skip': 'Not now, continue',
  'bridge.failed': 'The security key could not be registered. Try again, or continue without it.',

  'dms.event.login.webauthn': 'Security key checked',
  'dms.event.login.recovery_code': 'Recovery code used',

  'mail.notice.recovery_code_used.subject': 'A recovery code of your CCASS login was used',
  'mail.notice.recovery_code_used.text': 'One of your recovery codes was used to log in, in place of your second factor. {left} codes are left. If this was not you, call the CCASS Hotline at once.',
  'mail.notice.security_key_added.subject': 'A security key was added to your CCASS login',
  'mail.notice.security_key_added.text': 'A security key or passkey named “{name}” can now be used to log in to CCASS.',
} as const;

export const securityKeysZhHant: Record<keyof typeof securityKeysEn, string> = {
  'dms.factor.webauthn': '安全密鑰或通行密鑰',
  'done.webauthn': '由現在起，請以參與者編號、用戶編號、密碼及您的安全密鑰或通行密鑰登入中央結算系統。',
  'done.lostWebauthn': '如您遺失安全密鑰，請以復原碼或一次性密碼登入，或要求您的授權管理員重設您的第二重認證。',

  'done.securityPage': '請在您的安全設定頁面新增安全密鑰及產生復原碼，以免遺失手機時無法登入',
  'key.pageTitle': '使用安全密鑰',
  'key.heading': '使用安全密鑰或通行密鑰',
  'key.help': '請選擇下方按鈕，然後在瀏覽器提示時觸碰您的安全密鑰，或在裝置上確認（密碼、指紋或面容）。',
  'key.button': '使用安全密鑰或通行密鑰',
  'key.unsupported': '此瀏覽器不支援安全密鑰或通行密鑰。請使用最新版本的瀏覽器，或以下方其他方式登入。',
  'key.scriptNeeded': '您的瀏覽器須允許此頁面的程式碼執行，方可使用安全密鑰。',
  'key.failed': '安全密鑰未獲接受。請以已登記於您登入帳戶的密鑰再試。',
  'key.useCode': '改用一次性密碼',
  'key.useKey': '改用我的安全密鑰或通行密鑰',
  'key.useRecovery': '使用復原碼',
  'key.defaultName': '於{date}登記的安全密鑰',

  'recovery.pageTitle': '使用復原碼',
  'recovery.heading': '使用復原碼',
  'recovery.help': '請輸入您設定復原碼時保存的其中一個復原碼。每個復原碼只可使用一次。使用後，您須重新設定接收一次性密碼的方式，我們亦會以電郵通知您。',
  'recovery.code': '復原碼',
  'recovery.submit': '繼續',
  'recovery.wrong': '復原碼不正確，或已被使用。',
  'recovery.back': '返回其他登入方式',
  'recovery.used': '您已以復原碼登入。請設定日後接收一次性密碼的方式。',

  'login.error.needsKeyTitle': '須使用安全密鑰',
  'login.error.needsKey': '{client}只接受防網絡釣魚的登入方式：安全密鑰、通行密鑰或（智能卡仍可使用期間）您的智能卡。您的登入帳戶尚未設有上述任何一種。請在您的安全設定頁面登記安全密鑰，或聯絡您的授權管理員。',

  'bridge.pageTitle': '新增安全密鑰',
  'bridge.heading': '在智能卡停用前新增安全密鑰',
  'bridge.intro': '遷移至雙重認證登入完成後，智能卡登入將會停用。安全密鑰或通行密鑰同樣能防範網絡釣魚。您現在登記的密鑰由您的智能卡作證。',
  'bridge.name': '此密鑰的名稱（方便您分辨不同密鑰）',
  'bridge.register': '立即登記安全密鑰',
  'bridge.skip': '暫不登記，繼續',
  'bridge.failed': '未能登記安全密鑰。請再試，或不登記而繼續。',

  'dms.event.login.webauthn': '核對安全密鑰',
  'dms.event.login.recovery_code': '使用復原碼',

  'mail.notice.recovery_code_used.subject': '您中央結算系統登入帳戶的一個復原碼已被使用',
  'mail.notice.recovery_code_used.text': '您其中一個復原碼已被用作登入，以代替您的第二重認證。尚餘{left}個復原碼。如並非由您本人操作，請立即致電中央結算系統熱線。',
  'mail.notice.security_key_added.subject': '您的中央結算系統登入帳戶已新增安全密鑰',
  'mail.notice.security_key_added.text': '名為「{name}」的安全密鑰或通行密鑰現可用於登入中央結算系統。',
};
