/**
 * account_sessions: a user's session on their own security page (/account), opened only
 * after a login that happened moments before (ASVS 5.0 V7.5.1). The cookie value is stored
 * hashed; the session has an idle and a short absolute expiry, and names the provider
 * session (oidc-provider's Session uid) of the login that opened it, so that "sign out
 * everywhere else" knows which login is this one. It records whether that login was
 * phishing-resistant (a security key: the ID token's acr meets phr) and whether the user had a
 * security key then: a key holder's code-level session may not make the changes that would
 * hand a phisher lasting access (src/account/security-page.ts, `keyLoginNeeded`).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_sessions', (table) => {
    table.text('id_hash').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('oidc_session_uid');
    table.timestamp('auth_time', { useTz: true }).notNullable();
    table.boolean('phishing_resistant').notNullable().defaultTo(false);
    table.boolean('had_security_key').notNullable().defaultTo(false);
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('last_seen_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['user_id']);
    table.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('account_sessions');
}
