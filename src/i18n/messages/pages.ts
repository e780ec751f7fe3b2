/**
 * Pages of the HTTP layer and of oidc-provider (errors, logout, form post, consent scopes), in English and Traditional Chinese. One file per area of the service, so that
 * each area's words are read (and reviewed) together; `en.ts` gathers them into the catalogue.
 */
export const pagesEn = {
  // The self-submitting form (response_mode=form_post, and a logout without a session).
  'pages.formPost.returnTitle': 'Returning to {client}',
  'pages.formPost.returnHeading': 'Returning you to {client}',
  'pages.formPost.returnTitleUnnamed': 'Returning to the application',
  'pages.formPost.logoutTitle': 'Logging out',
  'pages.formPost.logoutHeading': 'Logging you out',
  'pages.formPost.previousTitle': 'Ending the previous login',
  'pages.formPost.previousHeading': 'Ending the previous login in this browser',
  'pages.formPost.auto': 'Your browser continues by itself. If nothing happens within a few seconds, select Continue.',
  'pages.formPost.continue': 'Continue',

  'pages.logout.asks': '{client} asks to log you out.',
  'pages.loggedOut.client': 'You have logged out of {client}.',
  'pages.loggedOut.stillTitle': 'Still logged in',
  'pages.loggedOut.stillHeading': 'You are still logged in to CCASS Authentication',

  // Every error page: whom to call.
  'pages.hotline.reference': 'If you call the CCASS Hotline on {hotline} about this, quote reference {reference}.',
  'pages.hotline.call': 'For help, call the CCASS Hotline on {hotline}.',

  // Errors of authorization and logout requests (oidc-provider), chosen by their OAuth error code.
  'pages.error.logoutStopped': 'Logout could not continue',
  'pages.error.unknownClient': 'The application that sent you here is not registered with CCASS Authentication. Go back to it and try again; if this keeps happening, tell the application’s support team.',
  'pages.error.unknownRedirect': 'The application that sent you here asked to return to an address that is not registered for it, so sign-in stopped to protect your login. Start again from the application; if this keeps happening, tell its support team.',
  'pages.error.badRequest': 'The application that sent you here made a sign-in request that this service cannot accept. Start again from the application; if this keeps happening, tell its support team.',
  'pages.error.expired': 'This sign-in has expired or was opened in another browser. Go back to the application and start again.',
  'pages.error.cancelled': 'Sign-in was cancelled. Go back to the application to start again.',
  'pages.error.logoutRefused': 'The application’s request to log you out could not be accepted, so you may still be logged in. To log out now, close every window of your browser.',
  'pages.error.logoutExpired': 'This logout page has expired or was already used. If you still want to log out, start again from the application.',

  // Errors of any request, chosen by the HTTP status.
  'pages.error.ourSide': 'Something went wrong on our side. Please try again.',
  'pages.error.notUnderstood': 'The request could not be understood. Go back and try again.',
  'pages.error.notFoundTitle': 'Page not found',
  'pages.error.notFound': 'The page you asked for does not exist. Check the address, or start again from CCASS Terminal.',
  'pages.error.tooLargeTitle': 'Too much data',
  'pages.error.tooLarge': 'What you sent is larger than this service accepts. Go back and try again with shorter entries.',
  'pages.error.unsupportedType': 'This page accepts only the forms of this service. Go back, reload the page and try again.',
  'pages.error.forbidden': 'This request is not allowed. Go back, reload the page and try again.',
  'pages.error.conflict': 'This request conflicts with a change made in the meantime. Go back, reload the page and try again.',
  'pages.error.tooManyRequests': 'Too many requests. Please wait a minute and try again.',

  // What a relying party receives, one line per scope on the consent page.
  'pages.scope.openid': 'your participant ID and user ID, and how you logged in',
  'pages.scope.profile': 'your name',
  'pages.scope.email': 'your designated email address',
  'pages.scope.offline_access': 'continued access while you are not using it, until that access is revoked',
  'pages.scope.other': 'the access named “{scope}”',
  // Claims asked for one by one (the claims parameter), on the same list.
  'pages.claim.participant_id': 'your participant ID',
  'pages.claim.user_id': 'your user ID',
  'pages.claim.name': 'your name',
  'pages.claim.email': 'your designated email address',
  'pages.claim.other': 'other details of your user account',
} as const;

export const pagesZhHant: Record<keyof typeof pagesEn, string> = {
  'pages.formPost.returnTitle': '正在返回{client}',
  'pages.formPost.returnHeading': '正在帶您返回{client}',
  'pages.formPost.returnTitleUnnamed': '正在返回應用程式',
  'pages.formPost.logoutTitle': '正在登出',
  'pages.formPost.logoutHeading': '正在為您登出',
  'pages.formPost.previousTitle': '正在結束先前的登入',
  'pages.formPost.previousHeading': '正在結束此瀏覽器先前的登入',
  'pages.formPost.auto': '瀏覽器會自動繼續。如數秒後仍未有反應，請按「繼續」。',
  'pages.formPost.continue': '繼續',

  'pages.logout.asks': '{client}要求將您登出。',
  'pages.loggedOut.client': '您已登出{client}。',
  'pages.loggedOut.stillTitle': '仍處於登入狀態',
  'pages.loggedOut.stillHeading': '您仍處於中央結算系統身分認證的登入狀態',

  'pages.hotline.reference': '如就此致電中央結算系統熱線 {hotline}，請提供參考編號 {reference}。',
  'pages.hotline.call': '如需協助，請致電中央結算系統熱線 {hotline}。',

  'pages.error.logoutStopped': '登出未能繼續',
  'pages.error.unknownClient': '把您帶到此頁的應用程式並未在中央結算系統身分認證登記。請返回該應用程式再試；如問題持續，請通知該應用程式的支援團隊。',
  'pages.error.unknownRedirect': '把您帶到此頁的應用程式要求返回一個並未為其登記的網址，為保障您的登入，登入程序已停止。請從該應用程式重新開始；如問題持續，請通知其支援團隊。',
  'pages.error.badRequest': '把您帶到此頁的應用程式提出了本服務無法接受的登入要求。請從該應用程式重新開始；如問題持續，請通知其支援團隊。',
  'pages.error.expired': '此登入已逾時，或已在另一瀏覽器開啟。請返回應用程式重新開始。',
  'pages.error.cancelled': '登入已取消。請返回應用程式重新開始。',
  'pages.error.logoutRefused': '未能接受應用程式的登出要求，因此您可能仍處於登入狀態。如要立即登出，請關閉瀏覽器的所有視窗。',
  'pages.error.logoutExpired': '此登出頁面已逾時或已使用。如仍需登出，請從應用程式重新開始。',

  'pages.error.ourSide': '我們的系統出現問題。請再試一次。',
  'pages.error.notUnderstood': '未能理解此要求。請返回再試。',
  'pages.error.notFoundTitle': '找不到頁面',
  'pages.error.notFound': '您要求的頁面不存在。請檢查網址，或從中央結算系統終端機重新開始。',
  'pages.error.tooLargeTitle': '資料過多',
  'pages.error.tooLarge': '您提交的資料超出本服務接受的大小。請返回，以較短的內容再試。',
  'pages.error.unsupportedType': '此頁面只接受本服務的表格。請返回、重新載入頁面再試。',
  'pages.error.forbidden': '此要求不獲允許。請返回、重新載入頁面再試。',
  'pages.error.conflict': '此要求與期間作出的更改有衝突。請返回、重新載入頁面再試。',
  'pages.error.tooManyRequests': '要求次數過多。請等候一分鐘後再試。',

  'pages.scope.openid': '您的參與者編號及用戶編號，以及您的登入方式',
  'pages.scope.profile': '您的姓名',
  'pages.scope.email': '您的指定電郵地址',
  'pages.scope.offline_access': '在您沒有使用時仍可持續存取，直至該存取權被撤銷',
  'pages.scope.other': '名為「{scope}」的存取權',
  'pages.claim.participant_id': '您的參與者編號',
  'pages.claim.user_id': '您的用戶編號',
  'pages.claim.name': '您的姓名',
  'pages.claim.email': '您的指定電郵地址',
  'pages.claim.other': '您用戶帳戶的其他資料',
};
