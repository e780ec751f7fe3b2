/**
 * The migration's deadlines where the surfaces that say "where we are in the migration" name
 * them (src/reminders/calendar.ts): `phase show`, the login page's notice, the DMS readiness
 * page, in English and Traditional Chinese. `{deadline}`, `{cutOff}`, `{reminder}` and `{time}`
 * are announced Hong Kong times (announcedHongKongTime).
 */
export const calendarEn = {
  'calendar.name.emailRegistration': 'Email registration: designated emails activated',
  'calendar.name.secondFactor': 'Second factor: one-time codes set up',

  'cli.phase.label.deadlines': 'deadlines',
  'cli.phase.deadline.none': 'none configured',
  'cli.phase.deadline.ahead': '{name}: {deadline} ({days, plural, one {# day} other {# days}} left); next reminder {reminder}',
  'cli.phase.deadline.aheadNoReminder': '{name}: {deadline} ({days, plural, one {# day} other {# days}} left); no reminder left before it',
  'cli.phase.deadline.passed': '{name}: {deadline}, passed',

  'calendar.login.emailRegistration': 'Designated emails must be activated by {deadline}: open the activation link sent to yours before then.',
  'calendar.login.secondFactor': 'One-time codes must be set up by {deadline}; smartcard login ends on {cutOff}.',
  'calendar.login.secondFactorAtCutOff': 'One-time codes must be set up by {deadline}, when smartcard login ends.',
  'calendar.login.secondFactorOnly': 'One-time codes must be set up by {deadline}.',

  'dms.readiness.deadlinesHeading': 'Deadlines',
  'dms.readiness.deadlinesCaption': 'HKSCC’s deadlines, in Hong Kong time',
  'dms.readiness.colDeadline': 'Deadline',
  'dms.readiness.colWhen': 'When',
  'dms.readiness.colLeft': 'Days left',
  'dms.readiness.colNotReadyForIt': 'Users not ready for it',
  'dms.readiness.by': 'By {time}',
  'dms.readiness.deadlinePassed': 'Passed',
  'dms.readiness.noDeadlines': 'No deadline is set for the migration.',
  'dms.readiness.notReadyCaption': 'Users not ready, by what they still have to do',
  'dms.readiness.colConcerns': 'Deadline it concerns',
  'dms.readiness.concerns': '{name}: {time}',
  'dms.readiness.concernsUnset': '{name}: not set',
} as const;

export const calendarZhHant: Record<keyof typeof calendarEn, string> = {
  'calendar.name.emailRegistration': '電郵登記：啟用指定電郵地址',
  'calendar.name.secondFactor': '第二重認證：設定一次性密碼',

  'cli.phase.label.deadlines': '限期',
  'cli.phase.deadline.none': '未設定',
  'cli.phase.deadline.ahead': '{name}：{deadline}（尚餘 {days} 日）；下次提示：{reminder}',
  'cli.phase.deadline.aheadNoReminder': '{name}：{deadline}（尚餘 {days} 日）；限期前不再發出提示',
  'cli.phase.deadline.passed': '{name}：{deadline}，已過',

  'calendar.login.emailRegistration': '指定電郵地址須於{deadline}前啟用：請於限期前開啟發送至您指定電郵地址的啟用連結。',
  'calendar.login.secondFactor': '一次性密碼須於{deadline}前設定；智能卡登入將於{cutOff}停止。',
  'calendar.login.secondFactorAtCutOff': '一次性密碼須於{deadline}前設定，智能卡登入亦於當時停止。',
  'calendar.login.secondFactorOnly': '一次性密碼須於{deadline}前設定。',

  'dms.readiness.deadlinesHeading': '限期',
  'dms.readiness.deadlinesCaption': '香港結算規定的限期（香港時間）',
  'dms.readiness.colDeadline': '限期',
  'dms.readiness.colWhen': '時間',
  'dms.readiness.colLeft': '尚餘日數',
  'dms.readiness.colNotReadyForIt': '未準備就緒的用戶',
  'dms.readiness.by': '{time}前',
  'dms.readiness.deadlinePassed': '已過',
  'dms.readiness.noDeadlines': '遷移未設定任何限期。',
  'dms.readiness.notReadyCaption': '未準備就緒的用戶（按尚待完成的步驟）',
  'dms.readiness.colConcerns': '相關限期',
  'dms.readiness.concerns': '{name}：{time}',
  'dms.readiness.concernsUnset': '{name}：未設定',
};
