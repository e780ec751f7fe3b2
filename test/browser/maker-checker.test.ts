/**
 * Maker-checker in DMS, in a real browser (Chromium), once per language: one DA uploads a CSV
 * of designated emails, which waits with its row-by-row preview and changes nothing; another DA
 * of the firm opens the request from the approvals list, sees the same rows, and approves it;
 * the rows are applied and their activation mails sent. Every maker-checker page is checked
 * with axe (no serious or critical WCAG 2.1 A/AA violation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../../src/i18n/locales.js';
import { translator, type MessageKey } from '../../src/i18n/translate.js';
import { accessibilityViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { nextTotp, seedDa } from '../support/dms.js';
import { seedUser, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const LANGUAGES: Array<{ locale: Locale; browserLocale: string; firm: string }> = [
  { locale: 'en', browserLocale: 'en-GB', firm: 'M00001' },
  { locale: 'zh-Hant', browserLocale: 'zh-HK', firm: 'M00002' },
];

describe.each(LANGUAGES)('maker-checker in a real browser ($locale)', ({ locale, browserLocale, firm }) => {
  const t = translator(locale);
  const SHOTS = path.join(ROOT, 'test-output', 'browser', locale);
  const field = (page: Page, key: MessageKey) => page.getByLabel(t(key), { exact: true });
  const button = (page: Page, key: MessageKey) => page.getByRole('button', { name: t(key), exact: true });
  let running: RunningTestServer;
  let browser: Browser;
  let maker: SeededUser;
  let checker: SeededUser;
  const accessibility: Record<string, string[]> = {};

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `maker-checker-${name}.png`), fullPage: true });
    accessibility[name] = await accessibilityViolations(page);
  }

  // Maker-checker as configured by default: every DA action waits for a second DA.
  useTestServer((started) => ({ running } = started), { makerChecker: { actions: ['email', 'csv_upload', 'second_factor_reset', 'lock', 'unlock'] } });
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    maker = await seedDa(running, firm, 'MAKER');
    checker = await seedDa(running, firm, 'CHECKER');
    for (const userId of ['TRADER1', 'TRADER2']) await seedUser(running.server, running.config, { participantId: firm, userId, status: 'pending', secondFactor: 'none' }, running.clock);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function signIn(da: SeededUser): Promise<Page> {
    const context = await browser.newContext({ locale: browserLocale });
    const page = await context.newPage();
    await page.goto(`${running.issuer}/dms`);
    await field(page, 'login.participantId').fill(da.participantId);
    await field(page, 'login.userId').fill(da.userId);
    await field(page, 'login.password').fill(da.password);
    await button(page, 'login.submit').click();
    await field(page, 'otp.code').fill(nextTotp(running, da));
    await button(page, 'otp.submit').click();
    await page.getByRole('heading', { name: t('dms.users.heading', { participant: firm }) }).waitFor();
    return page;
  }

  it('one DA uploads, the upload waits with its preview, the other DA approves it and the rows are applied', async () => {
    const dms = await signIn(maker);
    await dms.getByRole('link', { name: t('dms.nav.upload'), exact: true }).click();
    const file = path.join(os.tmpdir(), `maker-checker-${locale}-${process.pid}.csv`);
    writeFileSync(file, `user_id,email\nTRADER1,trader1@${firm.toLowerCase()}.example.com\nTRADER2,trader2@${firm.toLowerCase()}.example.com\nNOBODY,nobody@example.com\n`);
    await field(dms, 'dms.upload.file').setInputFiles(file);
    await field(dms, 'approvals.reasonLabel').fill('new desk');
    await shot(dms, 'upload-form');
    await button(dms, 'approvals.upload.submit').click();
    await dms.getByText(t('approvals.notice.proposed')).waitFor();
    await dms.getByText(t('approvals.request.own')).waitFor();
    expect(await dms.getByRole('button', { name: t('approvals.request.approve'), exact: true }).count()).toBe(0);
    await shot(dms, 'request-own');
    expect((await running.server.queries.users.findByLogin(firm, 'TRADER1'))?.email).toBeNull();

    const other = await signIn(checker);
    await other.getByRole('link', { name: t('dms.nav.approvals'), exact: true }).click();
    await shot(other, 'approvals-list');
    await other.getByRole('link', { name: /\d+/ }).first().click();
    await other.getByRole('cell', { name: `trader1@${firm.toLowerCase()}.example.com` }).waitFor();
    expect(await other.getByRole('cell', { name: t('approvals.preview.registered'), exact: true }).count()).toBe(2);
    await other.getByRole('cell', { name: t('approvals.preview.rejected'), exact: true }).waitFor();
    await other.getByText('new desk').waitFor();
    await shot(other, 'request-to-approve');
    await button(other, 'approvals.request.approve').click();
    await other.getByText(t('approvals.notice.approved')).waitFor();
    await other.getByText(t('approvals.status.approved'), { exact: true }).waitFor();
    await shot(other, 'request-approved');

    expect((await running.server.queries.users.findByLogin(firm, 'TRADER1'))?.email).toBe(`trader1@${firm.toLowerCase()}.example.com`);
    expect((await running.server.queries.users.findByLogin(firm, 'TRADER2'))?.email).toBe(`trader2@${firm.toLowerCase()}.example.com`);
    await running.mail.mailTo(`trader1@${firm.toLowerCase()}.example.com`);
    await running.mail.mailTo(`trader2@${firm.toLowerCase()}.example.com`);
    expect(accessibility).toEqual(Object.fromEntries(Object.keys(accessibility).map((name) => [name, []])));
  }, 120_000);
});
