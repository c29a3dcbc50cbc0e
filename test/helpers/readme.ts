/** Reads command blocks out of README.md, so tests run the commands the README shows. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/**
 * The commands of the `index`-th fenced ```sh block under the heading titled `section` (any
 * level): one per line, trailing `  # comments` and blank lines dropped. Throws when absent.
 */
export function readmeBlock(section: string, index = 0): string[] {
  const text = readFileSync(README, 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '').trim() === section);
  if (start < 0) throw new Error(`README.md has no section "${section}"`);
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && !l.startsWith('#'.repeat((lines[start]!.match(/^#+/)![0].length) + 1)));
  const body = lines.slice(start + 1, end < 0 ? undefined : end);
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const l of body) {
    if (current === undefined && l.trim() === '```sh') current = [];
    else if (current !== undefined && l.trim() === '```') {
      blocks.push(current);
      current = undefined;
    } else if (current !== undefined) current.push(l);
  }
  const block = blocks[index];
  if (block === undefined) throw new Error(`README.md section "${section}" has no sh block #${index}`);
  return block.map((l) => l.replace(/\s+#\s.*$/, '').trim()).filter((l) => l !== '');
}

export interface ReadmeFence {
  /** The fence's info string: `sh`, `ts`, `python`, `bash`, … */
  lang: string;
  /** The block's text as written (comments and continuation lines kept), ending in a newline. */
  text: string;
}

/** Every fenced block under the heading titled `section` (its subsections included), in order. Throws when the section is absent. */
export function readmeFences(section: string): ReadmeFence[] {
  const lines = readFileSync(README, 'utf8').split('\n');
  const fences: ReadmeFence[] = [];
  let level = 0; // the section's heading level while inside it
  let found = false;
  let current: ReadmeFence | undefined;
  for (const l of lines) {
    const fence = /^\s*```(\S*)\s*$/.exec(l);
    if (current !== undefined) {
      if (fence && fence[1] === '') {
        if (level > 0) fences.push(current);
        current = undefined;
      } else current.text += l + '\n';
      continue;
    }
    if (fence && fence[1] !== '') {
      current = { lang: fence[1]!, text: '' };
      continue;
    }
    const heading = /^(#+) (.*)$/.exec(l);
    if (heading === null) continue;
    if (level > 0 && heading[1]!.length <= level) break;
    if (level === 0 && heading[2]!.trim() === section) {
      level = heading[1]!.length;
      found = true;
    }
  }
  if (!found) throw new Error(`README.md has no section "${section}"`);
  return fences;
}
/** The commands of a shell block's text: one per line, trailing `  # comments` and blank lines dropped. */
export function commandsOf(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\s+#\s.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
