/**
 * oidc-provider's models (sessions, interactions, codes, tokens, grants, ...) in one table,
 * so that any node can continue what another node started.
 *
 * `id_hash` is SHA-256 of the artefact's id. For opaque tokens, codes and session cookies
 * the id *is* the credential, so only its hash is stored: reading this table does not let
 * anyone present a token. `grant_id` is hashed the same way for revocation by grant.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (table) => {
    table.text('model').notNullable();
    table.text('id_hash').notNullable();
    table.jsonb('payload').notNullable();
    table.text('grant_id_hash');
    table.text('user_code');
    table.text('uid');
    table.timestamp('expires_at', { useTz: true });
    table.timestamp('consumed_at', { useTz: true });
    table.primary(['model', 'id_hash']);
  });
  await knex.raw('create index oidc_payloads_grant_idx on oidc_payloads (grant_id_hash) where grant_id_hash is not null');
  await knex.raw('create index oidc_payloads_uid_idx on oidc_payloads (model, uid) where uid is not null');
  await knex.raw('create index oidc_payloads_user_code_idx on oidc_payloads (model, user_code) where user_code is not null');
  await knex.raw('create index oidc_payloads_expiry_idx on oidc_payloads (expires_at) where expires_at is not null');

  // Secrets this deployment generated for itself in development (signing and cookie keys).
  await knex.schema.createTable('generated_secrets', (table) => {
    table.text('name').primary();
    table.jsonb('value').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('generated_secrets');
  await knex.schema.dropTable('oidc_payloads');
}
