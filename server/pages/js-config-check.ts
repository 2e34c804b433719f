// The seam between the in-app browser and the platform's wx.config check: what the page sent, the page's URL
// both as the page sees it and as it stands for (its original origin), and WeChat's answer.

export type JsConfigFields = { appId: unknown; timestamp: unknown; nonceStr: unknown; signature: unknown; jsApiList: unknown };

/** A page's URL without its fragment: on its pages host (location.href) and on its original origin. */
export type PageUrls = { asSeen: string; original: string };

/** `ok` with the APIs the page may call, or WeChat's errMsg and a hint for the developer. */
export type JsConfigResult = { ok: true; jsApiList: string[] } | { ok: false; errMsg: string; detail: string };

export type JsConfigCheck = (config: JsConfigFields, urls: PageUrls) => Promise<JsConfigResult>;
