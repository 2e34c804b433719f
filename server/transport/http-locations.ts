// Where a chat user is, over HTTP (the developer panel sets it): GET and PUT /api/users/:userId/location. The
// account's report-location setting pushes it as LOCATION when the user enters the chat.
import { Router } from 'express';
import { requireJson } from '../app/security.ts';
import { parseId } from '../core/validation.ts';
import type { LocationReports } from '../platform/location-reports.ts';

export function locationRoutes(locations: LocationReports): Router {
  const router = Router();
  router.get('/api/users/:userId/location', async (req, res) => {
    res.json({ ...(await locations.get(parseId(req.params.userId, 'userId'))), reported: locations.enabled });
  });
  router.put('/api/users/:userId/location', requireJson, async (req, res) => {
    res.json({ ...(await locations.set(parseId(req.params.userId, 'userId'), req.body)), reported: locations.enabled });
  });
  return router;
}
