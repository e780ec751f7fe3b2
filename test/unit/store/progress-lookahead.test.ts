import { candidateOf, ProgressLookahead } from '../../../src/store/login-progress.js';
import { USER_COLUMNS, type UserRow } from '../../../src/store/users.js';

const user = Object.fromEntries(USER_COLUMNS.map((column) => [column, `${column}-value`])) as unknown as UserRow;

describe('the user a password form names, brought along by the interaction lookup', () => {
  it('is taken once, and only for the IDs it was looked up for', () => {
    const ahead = new ProgressLookahead(new Date(), { participantId: 'B01234', userId: 'ALICE' });
    ahead.keepCandidate(user);
    expect(ahead.takeCandidate('B01234', 'BOB')).toBeUndefined();
    // A mismatch used it up too: the caller reads the database, as without a lookahead.
    expect(ahead.takeCandidate('B01234', 'ALICE')).toBeUndefined();
    ahead.keepCandidate(user);
    expect(ahead.takeCandidate('B01234', 'ALICE')).toEqual({ user });
    expect(ahead.takeCandidate('B01234', 'ALICE')).toBeUndefined();
  });

  it('says "no such user" when the lookup found none, and nothing when no lookup ran', () => {
    const ahead = new ProgressLookahead(new Date(), { participantId: 'B01234', userId: 'NOBODY' });
    expect(ahead.takeCandidate('B01234', 'NOBODY')).toBeUndefined();
    ahead.keepCandidate(undefined);
    expect(ahead.takeCandidate('B01234', 'NOBODY')).toEqual({ user: undefined });
    expect(new ProgressLookahead(new Date()).takeCandidate('B01234', 'NOBODY')).toBeUndefined();
  });

  it('reads the candidate columns of a row back into a user row, and no other column', () => {
    const row: Record<string, unknown> = { payload: {}, lp_user_id: 'x', id: 'progress-user' };
    for (const column of USER_COLUMNS) row[`cu_${column}`] = user[column as keyof UserRow];
    expect(candidateOf(row)).toEqual(user);
    expect(candidateOf({ ...row, cu_id: null })).toBeUndefined();
  });
});
