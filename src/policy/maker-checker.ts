/**
 * Maker-checker for a DA's actions, as HKSCC's delegated administration has always worked:
 * one DA proposes, a different DA of the same firm approves. The closed list of the actions
 * it can govern (`makerChecker.actions` names some of them), and who must have a checker.
 * `exception_grant` is a DA's grant of a dated per-user exception (src/directory/user-exceptions.ts).
 * Disabling and enabling a user, and revoking recovery codes, are no DA actions in DMS today
 * (operators do them with the CLI): when they become one, they join this list.
 */
export const CHANGE_REQUEST_ACTIONS = ['email', 'csv_upload', 'second_factor_reset', 'lock', 'unlock', 'exception_grant'] as const;
export type ChangeRequestAction = (typeof CHANGE_REQUEST_ACTIONS)[number];

export const isChangeRequestAction = (value: unknown): value is ChangeRequestAction => (CHANGE_REQUEST_ACTIONS as readonly unknown[]).includes(value);

export interface MakerCheckerSettings {
  /** The actions that wait for a second DA. */
  actions: readonly ChangeRequestAction[];
  /** How long a request waits before it expires. */
  requestTtlHours: number;
}

/**
 * What a DA's action needs: `direct` (the action is not governed, or the operator exempted a
 * sole-DA firm), `checker` (two or more active DAs: it waits for another), or `refused` (one
 * active DA and no exemption: nobody could approve it, and acting alone is what the firm was
 * not allowed to do — a second DA or the operator's exemption is needed).
 */
export type MakerCheckerVerdict = 'direct' | 'checker' | 'refused';

export function makerCheckerVerdict(settings: MakerCheckerSettings, action: ChangeRequestAction, firm: { activeDas: number; soleDaExempt: boolean }): MakerCheckerVerdict {
  if (!settings.actions.includes(action)) return 'direct';
  if (firm.activeDas >= 2) return 'checker';
  return firm.soleDaExempt ? 'direct' : 'refused';
}
