// The account's *report location* setting (REPORT_LOCATION): each time a user enters the chat the platform pushes
// the server a LOCATION event with where the user is. Where a user is comes from the developer panel
// (PUT /api/users/:userId/location), kept as records of kind `user-locations`; until set, WeChat's headquarters.
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import { describeIssues } from '../schemas.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { openIdOf, pushToTarget, type TargetOptions } from '../wechat/remote-bot.ts';
import { buildWechatXml, cdata } from '../wechat/xml.ts';

/** Where a user is: degrees, and how precise the fix is in metres (the event's Precision). */
export type UserLocation = { latitude: number; longitude: number; precision: number };

/** Until a user's location is set: TIT Creative Park, Guangzhou. */
export const DEFAULT_LOCATION: UserLocation = { latitude: 23.099994, longitude: 113.32452, precision: 65 };

const locationSchema = z
  .object({
    latitude: z.number({ error: 'must be a number' }).min(-90).max(90),
    longitude: z.number({ error: 'must be a number' }).min(-180).max(180),
    precision: z.number({ error: 'must be a number' }).min(0).max(100_000).optional(),
  })
  .strict();

export type LocationReportOptions = { target?: TargetOptions; enabled: boolean; accountId: string; now: () => number; logger: Logger };

export class LocationReports {
  private readonly records: Records<UserLocation>;

  constructor(
    store: ChatStore,
    private readonly options: LocationReportOptions,
  ) {
    this.records = store.records<UserLocation>('user-locations');
  }

  /** Whether entering the chat pushes LOCATION: the setting is on and there is a server to push to. */
  get enabled(): boolean {
    return this.options.enabled && this.options.target !== undefined;
  }

  async get(userId: string): Promise<UserLocation> {
    return (await this.records.get(userId)) ?? DEFAULT_LOCATION;
  }

  /** Sets where the user is; refused (`bad_request`, nothing stored) for anything but degrees in range. */
  async set(userId: string, body: unknown): Promise<UserLocation> {
    const parsed = locationSchema.safeParse(body);
    if (!parsed.success) throw new AppError('bad_request', describeIssues(parsed.error));
    const location = { precision: DEFAULT_LOCATION.precision, ...parsed.data };
    await this.records.put(userId, location);
    return location;
  }

  /**
   * The user entered the chat: with the setting on, LOCATION goes to the server. WeChat shows nothing of it
   * and servers answer it `success`, so it is no turn of the chat: pushed on its own, a failure only logged.
   */
  entered(userId: string): void {
    const { target, logger } = this.options;
    if (!this.enabled || !target) return;
    void this.get(userId)
      .then((location) => pushToTarget(target, openIdOf(userId), this.eventXml(userId, location), logger))
      .then(
        ({ attempts }) => logger.debug({ userId, attempts: attempts.length }, 'LOCATION pushed'),
        (err: unknown) => logger.warn({ err, userId }, 'LOCATION could not be pushed'),
      );
  }

  private eventXml(userId: string, { latitude, longitude, precision }: UserLocation): string {
    return buildWechatXml({
      ToUserName: cdata(this.options.accountId),
      FromUserName: cdata(openIdOf(userId)),
      CreateTime: Math.floor(this.options.now() / 1000),
      MsgType: cdata('event'),
      Event: cdata('LOCATION'),
      Latitude: latitude.toFixed(6),
      Longitude: longitude.toFixed(6),
      Precision: precision.toFixed(6),
    });
  }
}
