import { Writable } from 'node:stream';

/** The stdout and stderr a CLI command is given, with what it wrote to each kept as text. */
export function captureIo() {
  const text = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        text[key] += chunk.toString();
        callback();
      },
    });
  return { io: { stdout: sink('stdout'), stderr: sink('stderr') }, text };
}
