// The gallery of a run's artifacts: images are embedded as data URIs so the report stays one file that can
// be mailed or archived; data files are linked relative to the report, which sits beside them.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { RunRecord } from '@strata/shared';
import { escapeMarkup } from './chart/index.js';

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};

// Beyond this an embedded image makes the report unwieldy; it is linked instead.
const MAX_EMBEDDED_BYTES = 8 * 1024 * 1024;

export function renderArtifactGallery(record: RunRecord, runDir: string): string {
  const artifacts = Array.isArray(record.artifacts) ? record.artifacts : [];
  if (artifacts.length === 0) return '<p class="muted">No artifacts.</p>';
  const figures = artifacts.map((artifact) => {
    const caption = `<figcaption>${escapeMarkup(String(artifact.caption ?? ''))}<span class="path">${escapeMarkup(String(artifact.path))}</span></figcaption>`;
    const file = insideRunDir(runDir, String(artifact.path));
    if (file === undefined)
      return `<figure class="artifact missing"><div class="placeholder">outside the run folder: not shown</div>${caption}</figure>`;
    if (!existsSync(file) || !statSync(file).isFile())
      return `<figure class="artifact missing"><div class="placeholder">file not found</div>${caption}</figure>`;
    const type = IMAGE_TYPES[extname(file).toLowerCase()];
    if (artifact.kind === 'image' && type !== undefined && statSync(file).size <= MAX_EMBEDDED_BYTES) {
      const data = readFileSync(file).toString('base64');
      return `<figure class="artifact"><img src="data:${type};base64,${data}" alt="${escapeMarkup(String(artifact.caption ?? artifact.path))}" loading="lazy">${caption}</figure>`;
    }
    return `<figure class="artifact data"><a class="placeholder" href="${escapeMarkup(relativeHref(runDir, file))}">open ${escapeMarkup(String(artifact.path))}</a>${caption}</figure>`;
  });
  return `<div class="gallery">${figures.join('')}</div>`;
}

/** The artifact's absolute path, or undefined when its path would leave the run folder. */
function insideRunDir(runDir: string, path: string): string | undefined {
  if (isAbsolute(path)) return undefined;
  const root = resolve(runDir);
  const file = resolve(root, path);
  const rel = relative(root, file);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? undefined : file;
}

function relativeHref(runDir: string, file: string): string {
  return `./${relative(resolve(runDir), file).split(sep).map(encodeURIComponent).join('/')}`;
}
