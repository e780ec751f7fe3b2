/**
 * The circular's deadlines: the reminders a not-ready user gets before one, the digest of a
 * firm's not-ready users its Delegated Administrators get, the readiness report operators get,
 * the pages that say a deadline has passed, and the CLI's `reminders` command, in English and
 * Traditional Chinese. `{deadline}` is an announced Hong Kong time (announcedHongKongTime).
 */
export const deadlinesEn = {
  'mail.reminder.emailRegistration.subject': 'Reminder: activate your CCASS login by {deadline}',
  'mail.reminder.secondFactor.subject': 'Reminder: set up your one-time codes for CCASS by {deadline}',
  'mail.reminder.emailRegistration.intro': 'Your CCASS login {user} of participant {participant} is not activated yet. HKSCC’s deadline for activating it is {deadline}.',
  'mail.reminder.secondFactor.intro': 'Your CCASS login {user} of participant {participant} has a password but no way to receive one-time codes yet. HKSCC’s deadline for setting one up is {deadline}.',
  'mail.reminder.action.activation-sent': 'Open the activation link we emailed to this address, set your password and choose how to receive one-time codes.',
  'mail.reminder.action.activation-expired': 'Your activation link has expired: ask your Delegated Administrator to send you a new one, then open it before the deadline.',
  'mail.reminder.action.password-set': 'Log in to CCASS Terminal with your participant ID, user ID and password, and choose how to receive one-time codes (an authenticator app or email). It takes a few minutes.',
  'mail.reminder.after.emailRegistration': 'After the deadline, activation links no longer work.',
  'mail.reminder.after.secondFactor': 'After the deadline, you can no longer set up one-time codes when you log in, and once smartcards are switched off you cannot log in to CCASS Terminal without them.',
  'mail.reminder.ask': 'If you have questions, or cannot make the deadline, ask your Delegated Administrator.',
  'mail.reminder.askDa': 'If you have questions, or cannot make the deadline, contact HKSCC on the CCASS Hotline.',

  'mail.digest.subject': 'CCASS: {count, plural, one {# user} other {# users}} of {participant} {count, plural, one {is} other {are}} not ready for the deadline of {deadline}',
  'mail.digest.emailRegistration.intro': 'These users of {participant} have not activated their CCASS login yet. HKSCC’s deadline for it is {deadline}.',
  'mail.digest.secondFactor.intro': 'These users of {participant} have not set up one-time codes yet. HKSCC’s deadline for it is {deadline}.',
  'mail.digest.line': '{user} ({name}): {state}',
  'mail.digest.reminded': 'Each of them with a designated email has been sent a reminder. Users without one cannot be reminded by email: register their designated email in DMS.',
  'mail.digest.link': 'Who is ready, user by user, is on the readiness page of DMS:',
  'mail.digest.ask': 'If a user needs more time, you can ask for an exception for them. For questions, contact HKSCC on the CCASS Hotline.',

  'mail.report.subject': 'CCASS readiness report: {days, plural, one {# day} other {# days}} before the {deadlineName}',
  'mail.report.deadline.emailRegistration': 'email registration deadline',
  'mail.report.deadline.secondFactor': 'second-factor deadline',
  'mail.report.greeting': 'To the HKSCC operators,',
  'mail.report.intro': 'Readiness of every participant at {time}, before the {deadlineName} of {deadline}.',
  'mail.report.line': '{participant} {name}: {ready} of {users, plural, one {# user} other {# users}} ready ({percent}); {emailRegistered} with a designated email, {activated} activated.',
  'mail.report.total': 'All participants: {ready} of {users, plural, one {# user} other {# users}} ready ({percent}).',
  'mail.report.full': 'The full report, as CSV: {command}',

  'deadlines.activation.pastTitle': 'The deadline for activating has passed',
  'deadlines.activation.past': 'This activation link no longer works: HKSCC’s deadline for activating CCASS logins was {deadline}. Ask your Delegated Administrator, who can ask for an exception for you.',
  'deadlines.activation.pastDa': 'This activation link no longer works: HKSCC’s deadline for activating CCASS logins was {deadline}. Contact HKSCC on the CCASS Hotline.',
  'deadlines.secondFactor.pastTitle': 'The deadline for setting up one-time codes has passed',
  'deadlines.secondFactor.past': 'You can no longer set up one-time codes when you log in: HKSCC’s deadline for it was {deadline}. Ask your Delegated Administrator, who can ask for an exception for you.',
  'deadlines.secondFactor.pastDa': 'You can no longer set up one-time codes when you log in: HKSCC’s deadline for it was {deadline}. Contact HKSCC on the CCASS Hotline.',

  'cli.help.reminders': 'Reminders before the deadlines: to users, digests to DAs, reports to operators',
  'cli.help.reminders.run': 'Queue the reminders due now (every server node also does so on its own schedule)',
  'cli.reminders.result': '{due, plural, one {# mail} other {# mails}} due now; {queued} queued, {earlier} queued before.',
} as const;

export const deadlinesZhHant: Record<keyof typeof deadlinesEn, string> = {
  'mail.reminder.emailRegistration.subject': '提示：請於{deadline}前啟用您的中央結算系統登入',
  'mail.reminder.secondFactor.subject': '提示：請於{deadline}前設定中央結算系統的一次性密碼',
  'mail.reminder.emailRegistration.intro': '中央結算系統參與者 {participant} 旗下用戶 {user} 的登入尚未啟用。香港結算規定的啟用限期為{deadline}。',
  'mail.reminder.secondFactor.intro': '中央結算系統參與者 {participant} 旗下用戶 {user} 已設定密碼，但尚未設定接收一次性密碼的方式。香港結算規定的設定限期為{deadline}。',
  'mail.reminder.action.activation-sent': '請開啟我們發送至此電郵地址的啟用連結，設定您的密碼，並選擇接收一次性密碼的方式。',
  'mail.reminder.action.activation-expired': '您的啟用連結已過期：請要求您的授權管理員發送新連結，並於限期前開啟。',
  'mail.reminder.action.password-set': '請以參與者編號、用戶編號及密碼登入中央結算系統終端機，並選擇接收一次性密碼的方式（認證應用程式或電郵）。只需數分鐘。',
  'mail.reminder.after.emailRegistration': '限期過後，啟用連結將不再有效。',
  'mail.reminder.after.secondFactor': '限期過後，您將不能在登入時設定一次性密碼；智能卡停用後，沒有一次性密碼便不能登入中央結算系統終端機。',
  'mail.reminder.ask': '如有疑問，或未能於限期前完成，請聯絡您的授權管理員。',
  'mail.reminder.askDa': '如有疑問，或未能於限期前完成，請致電中央結算系統熱線聯絡香港結算。',

  'mail.digest.subject': '中央結算系統：{participant} 有 {count} 位用戶未能於{deadline}的限期前準備就緒',
  'mail.digest.emailRegistration.intro': '{participant} 的以下用戶尚未啟用中央結算系統登入。香港結算規定的限期為{deadline}。',
  'mail.digest.secondFactor.intro': '{participant} 的以下用戶尚未設定一次性密碼。香港結算規定的限期為{deadline}。',
  'mail.digest.line': '{user}（{name}）：{state}',
  'mail.digest.reminded': '已登記指定電郵地址的用戶均已收到提示。未登記的用戶無法以電郵提示：請在 DMS 登記其指定電郵地址。',
  'mail.digest.link': '各用戶的準備狀況載於 DMS 的準備狀況頁面：',
  'mail.digest.ask': '如用戶需要更多時間，您可為其申請例外安排。如有疑問，請致電中央結算系統熱線聯絡香港結算。',

  'mail.report.subject': '中央結算系統準備狀況報告：{deadlineName}前 {days} 天',
  'mail.report.deadline.emailRegistration': '電郵登記限期',
  'mail.report.deadline.secondFactor': '第二重認證限期',
  'mail.report.greeting': '香港結算營運人員：',
  'mail.report.intro': '各參與者於{time}的準備狀況（{deadlineName}為{deadline}）。',
  'mail.report.line': '{participant} {name}：{users} 位用戶中 {ready} 位已準備就緒（{percent}）；{emailRegistered} 位已登記指定電郵地址，{activated} 位已啟用。',
  'mail.report.total': '所有參與者：{users} 位用戶中 {ready} 位已準備就緒（{percent}）。',
  'mail.report.full': '完整報告（CSV）：{command}',

  'deadlines.activation.pastTitle': '啟用限期已過',
  'deadlines.activation.past': '此啟用連結已不再有效：香港結算規定的中央結算系統登入啟用限期為{deadline}。請聯絡您的授權管理員，他們可為您申請例外安排。',
  'deadlines.activation.pastDa': '此啟用連結已不再有效：香港結算規定的中央結算系統登入啟用限期為{deadline}。請致電中央結算系統熱線聯絡香港結算。',
  'deadlines.secondFactor.pastTitle': '設定一次性密碼的限期已過',
  'deadlines.secondFactor.past': '您已不能在登入時設定一次性密碼：香港結算規定的限期為{deadline}。請聯絡您的授權管理員，他們可為您申請例外安排。',
  'deadlines.secondFactor.pastDa': '您已不能在登入時設定一次性密碼：香港結算規定的限期為{deadline}。請致電中央結算系統熱線聯絡香港結算。',

  'cli.help.reminders': '限期前的提示：致用戶的提示、致授權管理員的摘要及致營運人員的報告',
  'cli.help.reminders.run': '將現時到期的提示排入佇列（各伺服器節點亦會按其排程自行執行）',
  'cli.reminders.result': '現時到期的電郵共 {due} 封；已排入佇列 {queued} 封，先前已排入 {earlier} 封。',
};
