// The simulator's own pages of web authorization: who is signing in, WeChat's consent sheet for
// snsapi_userinfo (buttons Allow and Deny) and WeChat's error page. Plain HTML without any script or inline
// style, so the strict Content-Security-Policy the routes send holds.
import type { AuthorizeRefusal, AuthorizeRequest } from '../platform/authorize-request.ts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

const hostOf = (url: string) => new URL(url).host;

/** The request's parameters as hidden fields, so a form sends the same authorize request again. */
function requestFields({ appId, redirectUri, scope, state }: AuthorizeRequest): string {
  const fields = { appid: appId, redirect_uri: redirectUri, response_type: 'code', scope, state };
  return Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('\n');
}

/** No chat user is known: asks which one is signing in (the in-app browser and scripts send &user= instead). */
export function chooseUserPage(request: AuthorizeRequest): string {
  return page(
    '微信授权',
    `<h1>Sign in with WeChat</h1>
<p>The page at <strong>${escapeHtml(hostOf(request.redirectUri))}</strong> (appid ${escapeHtml(request.appId)}) asks who you are (${escapeHtml(request.scope)}).</p>
<form method="get" action="/connect/oauth2/authorize">
${requestFields(request)}
<label>Chat user id <input name="user" required pattern="[A-Za-z0-9_-]{1,64}" autocomplete="off"></label>
<button type="submit">Continue</button>
</form>`,
  );
}

/** WeChat's consent sheet for snsapi_userinfo, for this user; Allow and Deny post back to the same request. */
export function consentPage(request: AuthorizeRequest, userId: string, nickname: string): string {
  const action = `/connect/oauth2/authorize?user=${encodeURIComponent(userId)}`;
  return page(
    '微信授权',
    `<h1>${escapeHtml(hostOf(request.redirectUri))}</h1>
<p>Signed in to the chat as <strong>${escapeHtml(nickname)}</strong> (${escapeHtml(userId)}).</p>
<p>The page asks for your public information: your nickname and avatar. 获取你的昵称、头像</p>
<form method="post" action="${escapeHtml(action)}">
${requestFields(request)}
<button type="submit" name="consent" value="allow">Allow</button>
<button type="submit" name="consent" value="deny">Deny</button>
</form>`,
  );
}

/** WeChat's error page: "Oops! Something went wrong:(" with the code, and what to change. */
export function errorPage({ errcode, message }: AuthorizeRefusal): string {
  return page('微信授权', `<h1>Oops! Something went wrong:(</h1>\n<p>错误码: <span id="errcode">${errcode}</span></p>\n<p>${escapeHtml(message)}</p>`);
}
