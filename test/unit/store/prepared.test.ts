import { prepared } from '../../../src/store/prepared.js';
import type { Database } from '../../../src/store/database.js';

// Naming is checked when a statement is declared: no connection is needed to see it refused.
const db = {} as Database;

describe('prepared statement names', () => {
  it('stand for one text: the same declaration again is fine, another text under the name is refused', () => {
    prepared(db, 'unit_test_statement', 'select 1');
    expect(() => prepared(db, 'unit_test_statement', 'select 1')).not.toThrow();
    expect(() => prepared(db, 'unit_test_statement', 'select 2')).toThrow(/already used for another statement/);
    expect(() => prepared(db, 'unit_test_other', 'select 2')).not.toThrow();
  });
});
