/**
 * The one name the CLI records as the actor of every change: `CCASS_OPERATOR` if set, else
 * the login name of the account running the command. Every command asks here, so the audit
 * trail names one operator one way ("operator:alice"), whichever command they ran.
 */
import { userInfo } from 'node:os';
import { operatorActor, type Actor } from '../kernel/actor.js';

export function cliOperator(env: Record<string, string | undefined>): Actor {
  const named = env['CCASS_OPERATOR']?.trim();
  return operatorActor(named || loginName(env));
}

function loginName(env: Record<string, string | undefined>): string {
  try {
    return userInfo().username;
  } catch {
    // A container user with no passwd entry has no name: say which account it was.
    return env['USER'] || env['LOGNAME'] || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
