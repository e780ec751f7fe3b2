/**
 * What a passed deadline refuses besides the activation link and the login's enrolment
 * (deadlines.ts): a first second factor set up in the activation journey or at the smartcard
 * bridge, and a new activation link issued by a DA (DMS, a CSV upload) or an operator (the
 * CLI's import, `da add`), in English and Traditional Chinese. `{deadline}` is an announced
 * Hong Kong time (announcedHongKongTime). The rule is src/reminders/deadline-doors.ts.
 */
export const deadlineDoorsEn = {
  'deadlines.secondFactor.closed': 'You can no longer set up a second factor: HKSCC’s deadline for it was {deadline}. Nothing was set up. Ask your Delegated Administrator, who can ask for an exception for you.',
  'deadlines.secondFactor.closedDa': 'You can no longer set up a second factor: HKSCC’s deadline for it was {deadline}. Nothing was set up. Contact HKSCC on the CCASS Hotline.',
  'deadlines.link.refused':
    'No activation link was sent to user {user} of participant {participant}: HKSCC’s deadline for activating CCASS logins was {deadline}. Nothing was changed. An exception for the activation deadline lets the link through: an HKSCC operator grants it with “{command}”, or a Delegated Administrator gives or asks for it on the user’s page in DMS.',
  'dms.refusal.activation_deadline_passed': 'The deadline for activating CCASS logins has passed: no activation link was sent and nothing was changed. Give the user an exception for the activation deadline on their page (or ask for one), then try again.',
  'dms.refusal.activationDeadline': 'No activation link was sent to {user}: HKSCC’s deadline for activating CCASS logins was {deadline}. Nothing was changed. Give {user} an exception for the activation deadline on their page (with a second DA’s approval where your firm requires it), then try again; or contact HKSCC on the CCASS Hotline.',
  'csv.row.activation_deadline_passed': 'the deadline for activating CCASS logins was {deadline}: no activation link was sent and the email was not registered (an exception for the activation deadline lets it through)',
  'dms.audit.reason.deadline_passed': 'The deadline had passed',
  'dms.audit.detail.deadline': 'Deadline',
  'mail.notice.second_factor_reset.pastDeadline':
    'But HKSCC’s deadline for setting up one-time codes was {deadline}: you can set up a new method only with an exception for that deadline. Ask your Delegated Administrator, who can ask for one for you.',
  'mail.notice.second_factor_reset.pastDeadlineDa':
    'But HKSCC’s deadline for setting up one-time codes was {deadline}: you can set up a new method only with an exception for that deadline. Contact HKSCC on the CCASS Hotline.',
  'dms.api.warning.second_factor_deadline_passed':
    'HKSCC’s deadline for setting up one-time codes was {deadline}: unless {user} has an exception for the second-factor deadline, they cannot set up a new second factor after this reset, and so cannot log in with one-time codes. Give {user} that exception on their page (with a second DA’s approval where your firm requires it), or contact HKSCC on the CCASS Hotline.',
  'approvals.warning.resetPastDeadline':
    'HKSCC’s deadline for setting up one-time codes was {deadline}: unless {user} has an exception for the second-factor deadline, they cannot set up a new second factor after this reset, and so cannot log in with one-time codes. Give {user} that exception first, or contact HKSCC on the CCASS Hotline.',
  'dms.confirm.reset.whatPastDeadline':
    'The second factor of {user} stops working now, and every session of this login ends. The password stays the same. HKSCC’s deadline for setting up one-time codes was {deadline}: unless {user} has an exception for the second-factor deadline, they cannot set up a new second factor at their next login, and so cannot log in with one-time codes. Give {user} that exception on their page first (with a second DA’s approval where your firm requires it), or contact HKSCC on the CCASS Hotline.',
} as const;

export const deadlineDoorsZhHant: Record<keyof typeof deadlineDoorsEn, string> = {
  'deadlines.secondFactor.closed': '您已不能設定第二重認證：香港結算規定的限期為{deadline}。系統並未作任何設定。請聯絡您的授權管理員，他們可為您申請例外安排。',
  'deadlines.secondFactor.closedDa': '您已不能設定第二重認證：香港結算規定的限期為{deadline}。系統並未作任何設定。請致電中央結算系統熱線聯絡香港結算。',
  'deadlines.link.refused':
    '未有向參與者 {participant} 旗下用戶 {user} 發送啟用連結：香港結算規定的中央結算系統登入啟用限期為{deadline}。系統並未作任何更改。為該用戶設定啟用限期的例外安排後即可發送：香港結算營運人員可執行「{command}」，授權管理員亦可在 DMS 的用戶頁面給予或申請。',
  'dms.refusal.activation_deadline_passed': '中央結算系統登入的啟用限期已過：未有發送啟用連結，系統亦未作任何更改。請先在用戶頁面為其給予（或申請）啟用限期的例外安排，然後再試。',
  'dms.refusal.activationDeadline': '未有向 {user} 發送啟用連結：香港結算規定的中央結算系統登入啟用限期為{deadline}。系統並未作任何更改。請先在 {user} 的用戶頁面給予啟用限期的例外安排（如貴公司規定，須經另一位授權管理員批准），然後再試；或致電中央結算系統熱線聯絡香港結算。',
  'csv.row.activation_deadline_passed': '中央結算系統登入的啟用限期為{deadline}：未有發送啟用連結，電郵亦未獲登記（設定啟用限期的例外安排後即可處理）',
  'dms.audit.reason.deadline_passed': '限期已過',
  'dms.audit.detail.deadline': '限期',
  'mail.notice.second_factor_reset.pastDeadline': '但香港結算規定的一次性密碼設定限期為{deadline}：您須獲得該限期的例外安排，方可設定新的接收方式。請聯絡您的授權管理員，他們可為您申請例外安排。',
  'mail.notice.second_factor_reset.pastDeadlineDa': '但香港結算規定的一次性密碼設定限期為{deadline}：您須獲得該限期的例外安排，方可設定新的接收方式。請致電中央結算系統熱線聯絡香港結算。',
  'dms.api.warning.second_factor_deadline_passed':
    '香港結算規定的一次性密碼設定限期為{deadline}：除非 {user} 獲得第二重認證限期的例外安排，否則重設後將不能設定新的第二重認證，因而不能以一次性密碼登入。請在 {user} 的用戶頁面給予該例外安排（如貴公司規定，須經另一位授權管理員批准），或致電中央結算系統熱線聯絡香港結算。',
  'approvals.warning.resetPastDeadline':
    '香港結算規定的一次性密碼設定限期為{deadline}：除非 {user} 獲得第二重認證限期的例外安排，否則重設後將不能設定新的第二重認證，因而不能以一次性密碼登入。請先給予 {user} 該例外安排，或致電中央結算系統熱線聯絡香港結算。',
  'dms.confirm.reset.whatPastDeadline':
    '{user} 的第二重認證將即時失效，此登入的所有工作階段亦會結束。密碼維持不變。香港結算規定的一次性密碼設定限期為{deadline}：除非 {user} 獲得第二重認證限期的例外安排，否則下次登入時將不能設定新的第二重認證，因而不能以一次性密碼登入。請先在 {user} 的用戶頁面給予該例外安排（如貴公司規定，須經另一位授權管理員批准），或致電中央結算系統熱線聯絡香港結算。',
};
