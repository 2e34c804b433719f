// The account's followers for the developer panel (an addition to DESIGN.md): GET /api/followers lists who follows
// now, with the remark and tags the server under test gave them, so the panel can switch the window to any of them.
import { Router } from 'express';
import type { FollowerInfo } from '../contract.ts';
import type { Platform } from '../platform/platform.ts';

export function followerRoutes(platform: Platform): Router {
  const router = Router();
  router.get('/api/followers', async (_req, res) => {
    const [everyone, tags, notes] = await Promise.all([platform.followerList.everyone(), platform.tags.all(), platform.followers.notes.list()]);
    const names = new Map(tags.map((t) => [t.id, t.name]));
    const notesOf = new Map(notes.map(({ key, value }) => [key, value]));
    const followers: FollowerInfo[] = everyone.map(({ openId, userId, follower }) => {
      const note = notesOf.get(openId);
      return {
        openId,
        userId,
        subscribeTime: follower.subscribeTime,
        remark: note?.remark ?? '',
        tags: (note?.tagIds ?? []).flatMap((id) => (names.has(id) ? [{ id, name: names.get(id)! }] : [])),
      };
    });
    res.json({ followers });
  });
  return router;
}
