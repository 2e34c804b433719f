// What each JS-SDK API does in the simulated WeChat, called by the bridge host once a page's wx.config holds.
// Names are WeChat's native ones (jweixin maps previewImage to imagePreview, getLocation to geoLocation, …);
// answers carry jweixin's names in errMsg, as WeChat's do.

/** jweixin's names for WeChat's native names, where they differ. */
export const JS_NAME: Record<string, string> = {
  preVerifyJSAPI: 'config',
  'menu:share:timeline': 'onMenuShareTimeline',
  'menu:share:appmessage': 'onMenuShareAppMessage',
  imagePreview: 'previewImage',
  geoLocation: 'getLocation',
  getBrandWCPayRequest: 'chooseWXPay',
};

export const jsNameOf = (name: string) => JS_NAME[name] ?? name;

/** The share data a page set (updateAppMessageShareData and the like). */
export type ShareData = { title?: string; desc?: string; link?: string; imgUrl?: string };

/** What the APIs need from the chat window. */
export type JsApiContext = {
  share: (kind: 'appMessage' | 'timeline', data: ShareData) => void;
  chooseImage: () => Promise<{ url: string; mediaId: string } | undefined>;
  previewImage: (src: string) => void;
  location: () => { latitude: number; longitude: number };
  openLocation: (place: { latitude: number; longitude: number; name?: string; address?: string }) => void;
  scan: () => string | null;
  close: () => void;
  hideMenuItems: (items: string[], hidden: boolean) => void;
  setOptionMenu: (shown: boolean) => void;
};

type Args = Record<string, unknown>;
type Result = Record<string, unknown>;
type Api = (args: Args, context: JsApiContext, localIds: Map<string, string>) => Promise<Result> | Result;

const shareDataOf = (args: Args): ShareData => ({
  title: typeof args.title === 'string' ? args.title : undefined,
  desc: typeof args.desc === 'string' ? args.desc : undefined,
  link: typeof args.link === 'string' ? args.link : undefined,
  imgUrl: typeof args.imgUrl === 'string' ? args.imgUrl : typeof args.img_url === 'string' ? args.img_url : undefined,
});
const list = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const ok = (name: string, extra: Result = {}) => ({ errMsg: `${jsNameOf(name)}:ok`, ...extra });

/** The APIs by native name. */
export const JS_APIS: Record<string, Api> = {
  checkJsApi: (args) => ok('checkJsApi', { checkResult: Object.fromEntries(list(args.jsApiList).map((api) => [api, api in JS_APIS || Object.values(JS_NAME).includes(api)])) }),
  updateAppMessageShareData: (args, context) => (context.share('appMessage', shareDataOf(args)), ok('updateAppMessageShareData')),
  updateTimelineShareData: (args, context) => (context.share('timeline', shareDataOf(args)), ok('updateTimelineShareData')),
  // jweixin's older share APIs: it sends these when the user shares (after menu:share:* comes).
  sendAppMessage: (args, context) => (context.share('appMessage', shareDataOf(args)), ok('sendAppMessage')),
  shareTimeline: (args, context) => (context.share('timeline', shareDataOf(args)), ok('shareTimeline')),
  chooseImage: async (_args, context, localIds) => {
    const chosen = await context.chooseImage();
    if (!chosen) return { errMsg: 'chooseImage:cancel' };
    localIds.set(chosen.url, chosen.mediaId);
    return ok('chooseImage', { localIds: [chosen.url] });
  },
  uploadImage: (args, _context, localIds) => {
    const mediaId = typeof args.localId === 'string' ? localIds.get(args.localId) : undefined;
    return mediaId ? ok('uploadImage', { serverId: mediaId }) : { errMsg: 'uploadImage:fail, localId is not a picture chooseImage gave' };
  },
  imagePreview: (args, context) => {
    const current = typeof args.current === 'string' ? args.current : list(args.urls)[0];
    if (!current) return { errMsg: 'previewImage:fail, no picture to show' };
    context.previewImage(current);
    return ok('imagePreview');
  },
  geoLocation: (_args, context) => ok('geoLocation', { ...context.location(), speed: 0, accuracy: 30 }),
  openLocation: (args, context) => {
    const latitude = Number(args.latitude);
    const longitude = Number(args.longitude);
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return { errMsg: 'openLocation:fail, invalid latitude or longitude' };
    context.openLocation({ latitude, longitude, name: typeof args.name === 'string' ? args.name : undefined, address: typeof args.address === 'string' ? args.address : undefined });
    return ok('openLocation');
  },
  scanQRCode: (args, context) => {
    const text = context.scan();
    if (text === null) return { errMsg: 'scanQRCode:cancel' };
    return ok('scanQRCode', Number(args.needResult) === 1 ? { resultStr: text } : {});
  },
  getNetworkType: () => ok('getNetworkType', { networkType: 'wifi' }),
  closeWindow: (_args, context) => (context.close(), ok('closeWindow')),
  hideMenuItems: (args, context) => (context.hideMenuItems(list(args.menuList), true), ok('hideMenuItems')),
  showMenuItems: (args, context) => (context.hideMenuItems(list(args.menuList), false), ok('showMenuItems')),
  hideOptionMenu: (_args, context) => (context.setOptionMenu(false), ok('hideOptionMenu')),
  showOptionMenu: (_args, context) => (context.setOptionMenu(true), ok('showOptionMenu')),
  getBrandWCPayRequest: () => ({ errMsg: 'chooseWXPay:fail, not yet: the simulator does not play WeChat Pay yet' }),
};
