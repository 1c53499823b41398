/**
 * Paths inside a workspace (job files, artifacts): relative, '/'-separated, no '.' or '..'
 * segments, no empty segments, no NUL or backslash. Checked wherever such a path arrives.
 */
import { z } from 'zod';

/** Why `path` is not a safe workspace-relative path, or null when it is. */
export function workspacePathProblem(path: string): string | null {
  if (path.length === 0) return 'must not be empty';
  if (path.length > 1024) return 'must be at most 1024 characters';
  if (path.startsWith('/')) return 'must be relative (no leading /)';
  if (/[\0\\]/.test(path)) return 'must not contain NUL or backslash';
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not contain empty segments (//) or end with /';
    if (segment === '.' || segment === '..') return 'must not contain . or .. segments';
    if (Buffer.byteLength(segment) > 255) return 'segments must be at most 255 bytes';
  }
  return null;
}

export const WorkspacePath = z.string().superRefine((p, ctx) => {
  const problem = workspacePathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
