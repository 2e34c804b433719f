// A second reference: the least any bot that keeps the contract must send, with no engine and no storage.
// Each message is acked with itself as a stored message plus one stored reply (a news card), and both are
// pushed to the user's other sockets (not to the one whose ack carries them), as DESIGN.md requires of the bot. The gap between this server and the bare
// echo is the contract's own traffic; the gap between the bot and this server is the bot's work.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { SOCKET_SERVER_OPTIONS } from '../server/app/app.ts';

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});
const io = new Server(httpServer, SOCKET_SERVER_OPTIONS);
const card = {
  title: 'Activate Mobile Payment',
  description: 'As the number of mobile devices connected to the Internet increases, mobile payment is becoming…',
  url: '/#/sections/payment',
  sectionId: 'payment',
};
let sequence = 0;

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { userId?: unknown };
  const userId = typeof auth.userId === 'string' ? auth.userId : `u${++sequence}`;
  const room = `user:${userId}`;
  void socket.join(room);
  socket.emit('ready', { userId, account: { name: 'echo', description: '', menu: [] }, history: [] });
  socket.on('message', (payload: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const createdAt = new Date().toISOString();
    const message = Object.assign({}, payload, { id: `m${++sequence}`, userId, from: 'user', createdAt });
    const reply = { type: 'news', articles: [card], id: `m${++sequence}`, userId, from: 'bot', createdAt, replyTo: message.id };
    socket.to(room).emit('message', message);
    socket.to(room).emit('message', reply);
    ack({ ok: true, message, replies: [reply] });
  });
});
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => io.close(() => process.exit(0)));
