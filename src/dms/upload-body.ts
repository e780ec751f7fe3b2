/**
 * Reading an uploaded CSV as bytes (never as text: the CSV module must see invalid UTF-8
 * to refuse it), from a browser's multipart form (busboy) or from an API call's text/csv
 * body (raw-body), never reading more than the limit allows.
 */
import type { IncomingMessage } from 'node:http';
import Busboy from 'busboy';
import getRawBody from 'raw-body';

/** Why an upload could not be read, as a code (the page and the API word it). */
export type UploadProblem = { code: 'too_large'; maxKb: number } | { code: 'not_a_form' | 'interrupted' | 'one_file' | 'no_file' };

export type UploadBody =
  | { ok: true; bytes: Buffer; fields: Record<string, string> }
  | { ok: false; status: 400 | 413; problem: UploadProblem };

/** `maxBytes` is one byte over the limit (so that "too large" is told apart from "just fits"). */
const tooLarge = (maxBytes: number): UploadBody => ({ ok: false, status: 413, problem: { code: 'too_large', maxKb: Math.floor((maxBytes - 1) / 1024) } });
const unreadable = (code: 'not_a_form' | 'interrupted' | 'one_file' | 'no_file'): UploadBody => ({ ok: false, status: 400, problem: { code } });

/** One file field named `file` plus small text fields (the CSRF token) from multipart/form-data. */
export function readMultipartUpload(req: IncomingMessage, maxBytes: number): Promise<UploadBody> {
  return new Promise((resolve) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 5, fieldSize: 1024, parts: 6 } });
    } catch {
      resolve(unreadable('not_a_form'));
      return;
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let seenFile = false;
    let result: UploadBody | undefined;
    busboy.on('field', (name, value) => {
      fields[name] = value;
    });
    busboy.on('file', (name, stream) => {
      if (name !== 'file' || seenFile) {
        stream.on('error', () => undefined);
        stream.resume();
        return;
      }
      seenFile = true;
      // A form cut short inside the file errors the file's stream: unheard, that error would bring the process down.
      stream.on('error', () => {
        result ??= unreadable('interrupted');
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        result = tooLarge(maxBytes);
      });
    });
    busboy.on('filesLimit', () => {
      result ??= unreadable('one_file');
    });
    busboy.on('error', () => resolve(unreadable('interrupted')));
    busboy.on('close', () => {
      if (result) return resolve(result);
      if (!seenFile) return resolve(unreadable('no_file'));
      resolve({ ok: true, bytes: Buffer.concat(chunks), fields });
    });
    req.pipe(busboy);
  });
}

/** The whole request body as bytes, refusing more than `maxBytes`. */
export async function readRawUpload(req: IncomingMessage, maxBytes: number): Promise<UploadBody> {
  try {
    return { ok: true, bytes: await getRawBody(req, { limit: maxBytes }), fields: {} };
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') return tooLarge(maxBytes);
    return unreadable('interrupted');
  }
}
