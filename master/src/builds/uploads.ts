/**
 * A multipart trigger: one part per parameter, named after it; file parameters as file parts.
 * Files stream to temporary files (size-limited, hashed on the way), never into memory. What a
 * request may make the master hold is bounded — field values together, each field, the number of
 * parts, the files — and the first limit crossed refuses the request at once, the rest unread.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import busboy from 'busboy';
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { DomainError, ValidationError } from '../errors.ts';
import { payloadTooLarge, spoolPath, spoolToFile } from '../http/spool.ts';

export interface UploadedFile {
  parameter: string;
  /** The name it was uploaded under, without any directory part. */
  fileName: string;
  path: string;
  size: number;
  sha256: string;
}

export interface TriggerForm {
  fields: Record<string, string>;
  files: UploadedFile[];
  /** Deletes the temporary files. */
  cleanup(): Promise<void>;
}

export const MAX_UPLOAD_BYTES = 1024 ** 3;
/** Limits of one multipart trigger besides the size of each file. */
export const FORM_LIMITS = {
  /** One text parameter's value. */
  fieldBytes: 1024 * 1024,
  /** All text parameters' values together: what the form may make the master hold in memory. */
  allFieldBytes: 4 * 1024 * 1024,
  fields: 500,
  files: 50,
  /** The whole request, files included (nginx's client_max_body_size is a little more). */
  requestBytes: MAX_UPLOAD_BYTES + 8 * 1024 * 1024,
};

export interface TriggerFormOptions {
  /** The job's file parameters: a file part for any other name is refused before it is read. */
  fileParameters: ReadonlySet<string>;
  maxFileBytes?: number;
}

export async function parseTriggerForm(req: IncomingMessage, headers: IncomingHttpHeaders, opts: TriggerFormOptions): Promise<TriggerForm> {
  const maxFileBytes = opts.maxFileBytes ?? MAX_UPLOAD_BYTES;
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const writes: Promise<void>[] = [];
  const cleanup = async () => {
    await Promise.allSettled(writes);
    await Promise.all(files.map((f) => rm(f.path, { force: true })));
  };
  const requestTooLarge = () => payloadTooLarge(`A trigger's form is at most ${FORM_LIMITS.requestBytes} bytes`);
  try {
    if (Number(headers['content-length']) > FORM_LIMITS.requestBytes) throw requestTooLarge();
    const parser = busboy({ headers, limits: { files: FORM_LIMITS.files, fields: FORM_LIMITS.fields, fieldSize: FORM_LIMITS.fieldBytes, parts: FORM_LIMITS.files + FORM_LIMITS.fields } });
    let failure: Error | undefined;
    // The first problem ends the parse: nothing more is read from the client or written to disk.
    const fail = (err: Error) => {
      if (failure) return;
      failure = err;
      req.unpipe(parser);
      req.pause();
      parser.destroy(err);
    };
    let requestBytes = 0;
    req.on('data', (chunk: Buffer) => {
      requestBytes += chunk.length;
      if (requestBytes > FORM_LIMITS.requestBytes) fail(requestTooLarge());
    });
    req.once('close', () => req.complete || fail(new ValidationError('The request ended before its form did')));
    let fieldBytes = 0;
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(payloadTooLarge(`Parameter ${name} is longer than ${FORM_LIMITS.fieldBytes} bytes`));
      fieldBytes += Buffer.byteLength(value);
      if (fieldBytes > FORM_LIMITS.allFieldBytes) return fail(payloadTooLarge(`The parameters of a trigger are at most ${FORM_LIMITS.allFieldBytes} bytes together`));
      if (name in fields || files.some((f) => f.parameter === name)) return fail(new ValidationError(`Parameter ${name} was given twice`));
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const file: UploadedFile = { parameter: name, fileName: basename(info.filename || name), path: spoolPath('upload'), size: 0, sha256: '' };
      if (!opts.fileParameters.has(name)) fail(new ValidationError(`${name} is not a file parameter`, [{ field: `parameters.${name}`, message: 'not a file parameter' }]));
      if (name in fields || files.some((f) => f.parameter === name)) fail(new ValidationError(`Parameter ${name} was given twice`));
      files.push(file);
      const tooLarge = () => payloadTooLarge(`File parameter ${name} is larger than ${maxFileBytes} bytes`);
      writes.push(
        spoolToFile(stream, file.path, maxFileBytes, tooLarge).then(
          (spooled) => void Object.assign(file, spooled),
          (err: Error) => fail(err),
        ),
      );
    });
    parser.on('filesLimit', () => fail(new ValidationError(`A trigger takes at most ${FORM_LIMITS.files} files`)));
    parser.on('fieldsLimit', () => fail(new ValidationError(`A trigger takes at most ${FORM_LIMITS.fields} parameters`)));
    parser.on('partsLimit', () => fail(new ValidationError(`A trigger takes at most ${FORM_LIMITS.files + FORM_LIMITS.fields} parts`)));
    req.pipe(parser);
    await finished(parser).catch((err: Error) => fail(err));
    await Promise.all(writes);
    if (failure) throw failure;
    return { fields, files, cleanup };
  } catch (err) {
    await cleanup();
    if (err instanceof DomainError) throw err;
    throw new ValidationError(`Malformed multipart body: ${(err as Error).message}`);
  }
}

const CHUNK = 1024 * 1024;

/** Stores an uploaded file with its build (inside the trigger's transaction). */
export async function storeBuildFile(tx: DatabaseTransactionConnection, buildId: number, file: UploadedFile): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO build_files (build_id, parameter, file_name, size, sha256)
    VALUES (${buildId}, ${file.parameter}, ${file.fileName}, ${file.size}, ${file.sha256})`);
  let offset = 0;
  for await (const chunk of createReadStream(file.path, { highWaterMark: CHUNK })) {
    await tx.query(sql.unsafe`INSERT INTO build_file_chunks (build_id, parameter, start_offset, data) VALUES (${buildId}, ${file.parameter}, ${offset}, ${sql.binary(chunk as Buffer)})`);
    offset += (chunk as Buffer).length;
  }
}
