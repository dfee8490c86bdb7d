// Request bodies with our own limits, so a too-large body or a wrong Content-Type gets the
// catalog's JSON error (hyper-express's own limit answers a bare 413 and never calls the route,
// so the server is built with that limit out of the way and this module enforces ours).
import { Writable } from 'node:stream';
import { SluiceError } from '@sluice/shared';
import type { Request } from 'hyper-express';

const JSON_TYPE = /^application\/json\s*(;.*)?$/i;

/** The raw body of a JSON request, at most `limit` bytes. */
export async function readJsonBody(req: Request, limit: number): Promise<Buffer> {
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) throw new SluiceError('UNSUPPORTED_MEDIA_TYPE');
  const declared = req.headers['content-length'];
  if (declared !== undefined && declared !== '') {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) throw new SluiceError('BAD_REQUEST');
    if (n > limit) throw new SluiceError('PAYLOAD_TOO_LARGE');
    return n === 0 ? Buffer.alloc(0) : req.buffer();
  }
  if (req.headers['transfer-encoding'] !== 'chunked') return Buffer.alloc(0);
  return readChunked(req, limit);
}

// hyper-express routes Readable's `on` elsewhere; `pipe` is its supported way to stream a body.
function readChunked(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) return done(new SluiceError('PAYLOAD_TOO_LARGE'));
        chunks.push(chunk);
        done();
      },
      final(done) {
        resolve(Buffer.concat(chunks, size));
        done();
      },
    });
    sink.on('error', reject);
    req.pipe(sink);
  });
}
