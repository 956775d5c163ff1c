// What a tRPC caller may learn about the server's files. Admins see full locations
// (they run the deployment); everyone else sees locations inside the object store as
// store-relative names (`models/<name>/<version>`, `predictions/taxi_type=green/...`) and any
// other path as its file name only, in URI fields and in free text (run errors, descriptions).
import path from 'node:path';
import type { TModelCard } from '@tripcast/model';
import type { TModelVersionRow } from '@tripcast/model/store';
import { hasRole, type TSessionUser } from './auth/roles';

export type TPathAudience = { storeUri: string; user: TSessionUser | null };

const isAdmin = (audience: TPathAudience) => audience.user !== null && hasRole(audience.user.role, 'admin');

function withoutTrailingSlash(uri: string): string {
  return uri.length > 1 ? uri.replace(/\/+$/, '') : uri;
}

/** `uri` as the audience may see it: unchanged for admins, else store-relative or a file name. */
export function showUri(uri: string, audience: TPathAudience): string {
  if (isAdmin(audience)) return uri;
  const root = withoutTrailingSlash(audience.storeUri);
  if (uri === root) return '.';
  if (uri.startsWith(`${root}/`)) return uri.slice(root.length + 1);
  return path.posix.basename(withoutTrailingSlash(uri)) || uri;
}

export function showNullableUri(uri: string | null, audience: TPathAudience): string | null {
  return uri === null ? null : showUri(uri, audience);
}

// An absolute local path or an s3:// URI inside free text: after the start, whitespace, a quote,
// a bracket, `=` or `,` (so the `//` of a URL's scheme is not taken for a path of its own).
const PATH_IN_TEXT = /(^|[\s"'`([=,])((?:s3:\/)?\/[^\s"'`)\],;]+)/g;

/** Free text (an error, a description) with every path in it shown as showUri would show it. */
export function showText(text: string, audience: TPathAudience): string;
export function showText(text: string | null, audience: TPathAudience): string | null;
export function showText(text: string | null, audience: TPathAudience): string | null {
  if (text === null || isAdmin(audience)) return text;
  return text.replace(PATH_IN_TEXT, (_match, before: string, found: string) => {
    // A sentence may end right after a path: keep its full stop or colon out of the name.
    const trailing = /[.:]+$/.exec(found)?.[0] ?? '';
    return `${before}${showUri(found.slice(0, found.length - trailing.length), audience)}${trailing}`;
  });
}

/** A registered version as the audience may see it: artifact folder and training sources shown. */
export function showModelVersion<T extends Pick<TModelVersionRow, 'artifactUri' | 'card'>>(
  row: T,
  audience: TPathAudience,
): T {
  if (isAdmin(audience)) return row;
  const card = row.card as TModelCard | null;
  const training = card?.training;
  const showSource = <S extends { uri: string }>(source: S): S => ({ ...source, uri: showUri(source.uri, audience) });
  return {
    ...row,
    artifactUri: showUri(row.artifactUri, audience),
    card: card && {
      ...card,
      ...(card.description === undefined ? {} : { description: showText(card.description, audience) }),
      ...(training && {
        training: {
          ...training,
          trainData: training.trainData.map(showSource),
          ...(training.validationData && { validationData: showSource(training.validationData) }),
        },
      }),
    },
  };
}
