import { closeSync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

/** Flushes a file's contents to the disk. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory, making renames and unlinks inside it durable. */
export function fsyncDir(dir: string): void {
  fsyncFile(dir);
}

export function fsyncParentDir(path: string): void {
  fsyncDir(dirname(path));
}
