/**
 * config.xml ⇄ job document, for the job routes: the converter is `config-xml.ts` (parseConfigXml,
 * renderConfigXml, and the elements it keeps that Jonkkins does not model). This file only reads
 * the XML body, calls the converter and the jobs service, and sends XML.
 */
import type { Context } from 'koa';
import type { Job, JobInput } from '../../../shared/src/job.ts';
import { DomainError, ValidationError } from '../errors.ts';
import type { JobsService } from '../jobs/jobs.ts';

interface ConfigXmlModule {
  parseConfigXml(xml: string, jobName: string): { document: JobInput; preserved: unknown };
  renderConfigXml(job: Job, preserved?: unknown): string;
}

/** Until the converter module is part of the build, config.xml answers 501 and says so. */
const CONVERTER = './config-xml.ts';
let converter: Promise<ConfigXmlModule | null> | undefined;
async function configXml(): Promise<ConfigXmlModule> {
  converter ??= (import(CONVERTER) as Promise<ConfigXmlModule>).catch(() => null);
  const module = await converter;
  if (!module) throw new DomainError(501, 'not_implemented', 'config.xml is not supported by this Jonkkins yet: use the job document (/api/jobs)');
  return module;
}

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

export async function jobConfigXml(jobs: JobsService, name: string): Promise<string> {
  const { renderConfigXml } = await configXml();
  const job = await jobs.get(name);
  const { upstreamProjects: _u, downstreamProjects: _d, permalinks: _p, ...doc } = job;
  return renderConfigXml(doc);
}

/** Creates or replaces the job `name` from its config.xml. */
export async function jobFromConfigXml(jobs: JobsService, xml: string, name: string, how: 'create' | 'update'): Promise<Job> {
  const { parseConfigXml } = await configXml();
  const { document } = parseConfigXml(xml, name);
  return how === 'create' ? jobs.create({ ...document, name }) : jobs.update(name, { ...document, name });
}
