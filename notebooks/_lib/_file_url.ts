/**
 * `file:` URL of an absolute path (POSIX), percent-encoding what URLs need.
 * @param path An absolute path.
 * @returns The URL as text.
 * @throws {RangeError} If `path` is not absolute.
 */
export function toFileUrl(path: string): string {
  if (!path.startsWith("/")) throw new RangeError(`path must be absolute; got ${path}`);
  return new URL(`file://${path.split("/").map(encodeURIComponent).join("/")}`).href;
}
