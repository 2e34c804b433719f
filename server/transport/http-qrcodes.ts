// Parametric QR codes over HTTP: the image (GET /cgi-bin/showqrcode?ticket=, as the platform serves it, 404 for a
// ticket it does not know), the link a code encodes (GET /q/:ticket, which opens the chat by that scan), and the
// account's live codes for *Scan* in the chat window (GET /api/qrcodes).
import { Router, type RequestHandler } from 'express';
import type { QrCodes } from '../platform/qr-codes.ts';

/** GET /cgi-bin/showqrcode, mounted before /cgi-bin's API router: the image needs no access_token, as on the platform. */
export function showQrCode(qrCodes: QrCodes, refusal: (host: string | undefined) => string | undefined): RequestHandler {
  return async (req, res) => {
    const refused = refusal(req.headers.host);
    if (refused) return void res.status(403).type('text/plain').send(refused);
    const png = await qrCodes.image(req.query.ticket);
    if (!png) return void res.status(404).type('text/plain').send('no QR code has this ticket, or it expired');
    res.set('Cache-Control', 'no-store').type('image/png').send(png);
  };
}

/** The code's link and the list for *Scan*: chat routes, behind the host and cross-site checks. */
export function qrCodeRoutes(qrCodes: QrCodes): Router {
  const router = Router();

  // A phone camera or any QR reader gives this URL; the chat window connects with auth.scan (see client/src/main.ts).
  router.get('/q/:ticket', (req, res) => {
    res.redirect(302, `/?scan=${encodeURIComponent(req.params.ticket)}`);
  });

  router.get('/api/qrcodes', async (_req, res) => {
    res.json({ codes: await qrCodes.list() });
  });

  return router;
}
