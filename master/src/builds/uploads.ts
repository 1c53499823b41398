/**
 * A multipart trigger: one part per parameter, named after it; file parameters as file parts.
 * Files stream to temporary files (size-limited, hashed on the way), never into memory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { DomainError, ValidationError } from '../errors.ts';

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

export async function parseTriggerForm(req: IncomingMessage, headers: IncomingHttpHeaders, maxFileBytes = MAX_UPLOAD_BYTES): Promise<TriggerForm> {
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const writes: Promise<void>[] = [];
  const cleanup = async () => {
    await Promise.allSettled(writes);
    await Promise.all(files.map((f) => rm(f.path, { force: true })));
  };
  try {
    const parser = busboy({ headers, limits: { fileSize: maxFileBytes, files: 50, fields: 500, fieldSize: 1024 * 1024, parts: 550 } });
    let failure: Error | undefined;
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) failure ??= new ValidationError(`Parameter ${name} is longer than 1 MiB`);
      if (name in fields) failure ??= new ValidationError(`Parameter ${name} was given twice`);
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const file: UploadedFile = { parameter: name, fileName: basename(info.filename || name), path: join(tmpdir(), `jonkkins-upload-${randomUUID()}`), size: 0, sha256: '' };
      files.push(file);
      const hash = createHash('sha256');
      stream.on('data', (chunk: Buffer) => {
        file.size += chunk.length;
        hash.update(chunk);
      });
      stream.on('limit', () => {
        failure ??= new DomainError(413, 'payload_too_large', `File parameter ${name} is larger than ${maxFileBytes} bytes`);
      });
      writes.push(pipeline(stream, createWriteStream(file.path, { mode: 0o600 })).then(() => void (file.sha256 = hash.digest('hex'))));
    });
    parser.on('filesLimit', () => (failure ??= new ValidationError('Too many files')));
    parser.on('fieldsLimit', () => (failure ??= new ValidationError('Too many parameters')));
    await pipeline(req, parser);
    await Promise.all(writes);
    if (failure) throw failure;
    const twice = files.find((f, i) => files.findIndex((g) => g.parameter === f.parameter) !== i || f.parameter in fields);
    if (twice) throw new ValidationError(`Parameter ${twice.parameter} was given twice`);
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
