// A chat user's nickname and avatar over HTTP: `GET` and `PUT /api/users/:userId/profile` (what sns/userinfo
// shows the account's pages), and the default avatar, served at a URL that ends in a size as WeChat's do.
import { Router } from 'express';
import { AppError } from '../core/errors.ts';
import { parseId } from '../core/validation.ts';
import { avatarColour, AVATAR_SIZE, defaultNickname, parseProfileChange, type Profiles } from '../platform/profiles.ts';
import { requireJson } from '../app/security.ts';
import { originOf } from './http-sns.ts';

export function profileRoutes(profiles: Profiles): Router {
  const router = Router();

  router.get('/api/users/:userId/profile', async (req, res) => {
    const userId = parseId(req.params.userId, 'userId');
    res.json(await profiles.get(userId, originOf(req)));
  });

  router.put('/api/users/:userId/profile', requireJson, async (req, res) => {
    const userId = parseId(req.params.userId, 'userId');
    const parsed = parseProfileChange(req.body);
    if (!parsed.ok) throw new AppError('bad_request', parsed.message);
    await profiles.change(userId, parsed.change);
    res.json(await profiles.get(userId, originOf(req)));
  });

  router.get(`/avatars/:userId/${AVATAR_SIZE}`, (req, res) => {
    const userId = parseId(req.params.userId, 'userId');
    // The account's pages show it from their own origin.
    res.set('Cross-Origin-Resource-Policy', 'cross-origin');
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').send(defaultAvatar(userId));
  });

  return router;
}

/** A square with the default nickname's first letter on the user's colour. */
function defaultAvatar(userId: string): string {
  const initial = [...defaultNickname(userId)][0]!;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${AVATAR_SIZE}" height="${AVATAR_SIZE}" viewBox="0 0 132 132"><rect width="132" height="132" fill="${avatarColour(userId)}"/><text x="66" y="66" dy="0.35em" text-anchor="middle" font-family="sans-serif" font-size="64" fill="#fff">${initial}</text></svg>`;
}
