/**
 * Reading an uploaded CSV as bytes (never as text: the CSV module must see invalid UTF-8
 * to refuse it), from a browser's multipart form (busboy) or from an API call's text/csv
 * body (raw-body), never reading more than the limit allows.
 */
import type { IncomingMessage } from 'node:http';
import Busboy from 'busboy';
import getRawBody from 'raw-body';

export type UploadBody =
  | { ok: true; bytes: Buffer; fields: Record<string, string> }
  | { ok: false; status: 400 | 413; problem: string };

const tooLarge = (maxBytes: number): UploadBody => ({
  ok: false,
  status: 413,
  problem: `The file is larger than ${Math.floor(maxBytes / 1024)} KB; split it into smaller files.`,
});

/** One file field named `file` plus small text fields (the CSRF token) from multipart/form-data. */
export function readMultipartUpload(req: IncomingMessage, maxBytes: number): Promise<UploadBody> {
  return new Promise((resolve) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 5, fieldSize: 1024, parts: 6 } });
    } catch {
      resolve({ ok: false, status: 400, problem: 'The upload was not a valid form. Choose the file again and upload it.' });
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
        stream.resume();
        return;
      }
      seenFile = true;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        result = tooLarge(maxBytes);
      });
    });
    busboy.on('filesLimit', () => {
      result ??= { ok: false, status: 400, problem: 'Upload one file at a time.' };
    });
    busboy.on('error', () => resolve({ ok: false, status: 400, problem: 'The upload was interrupted or malformed. Choose the file again and upload it.' }));
    busboy.on('close', () => {
      if (result) return resolve(result);
      if (!seenFile) return resolve({ ok: false, status: 400, problem: 'Choose a CSV file to upload.' });
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
    return { ok: false, status: 400, problem: 'The upload was interrupted. Send the file again.' };
  }
}
