/**
 * config.xml ⇄ job document, for the job routes: the converter is `config-xml.ts` (parseConfigXml,
 * renderConfigXml, and the elements it keeps that Jonkkins does not model, stored with the job by
 * the jobs service). This file only reads the XML body, calls the converter and the jobs service,
 * and sends XML.
 */
import type { Context } from 'koa';
import type { Job } from '../../../shared/src/job.ts';
import { ValidationError } from '../errors.ts';
import type { JobsService } from '../jobs/jobs.ts';
import { parseConfigXml, renderConfigXml, PreservedXml } from './config-xml.ts';

/** The request's XML body (text/xml or application/xml, already read by the body parser, bounded). */
export function xmlBody(ctx: Context): string {
  const body = ctx.request.body;
  if (!ctx.is('text/xml', 'application/xml') || typeof body !== 'string') throw new ValidationError('Send the job as config.xml with Content-Type: text/xml or application/xml');
  return body;
}

export function sendXml(ctx: Context, xml: string): void {
  ctx.type = 'application/xml; charset=utf-8';
  ctx.body = xml;
}

/** The job as config.xml, with what its last posted config.xml held beyond the document. */
export async function jobConfigXml(jobs: JobsService, name: string): Promise<string> {
  const { job, preservedXml } = await jobs.withPreservedXml(name);
  // A record this master cannot read (written by another version) is left out rather than failing the GET.
  const preserved = PreservedXml.safeParse(preservedXml);
  return renderConfigXml(job, preserved.success ? preserved.data : undefined);
}

/** Creates or replaces the job `name` from its config.xml (the document and what it holds beyond it). */
export async function jobFromConfigXml(jobs: JobsService, xml: string, name: string, how: 'create' | 'update'): Promise<Job> {
  const { document, preserved } = parseConfigXml(xml, name);
  return how === 'create' ? jobs.create(document, { preservedXml: preserved }) : (await jobs.update(name, document, { preservedXml: preserved })).job;
}
