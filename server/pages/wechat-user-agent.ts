// WeChat's user agent, for the page proxy's requests and the pages' navigator.userAgent. It imports nothing,
// so the bridge script's bundle takes it as it is.

/** WeChat 8.0.47 on an iPhone; jweixin and servers look for "MicroMessenger". */
export const WECHAT_USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';
