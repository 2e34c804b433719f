// The benchmark's ceiling: a bare Socket.IO server, same version and options as the bot's, that acks
// each message with a copy of it. PORT from the environment.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { SOCKET_SERVER_OPTIONS } from '../server/app/app.ts';

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});
const io = new Server(httpServer, SOCKET_SERVER_OPTIONS);
io.on('connection', (socket) => {
  socket.on('message', (payload: unknown, ack: unknown) => {
    if (typeof ack === 'function') ack({ ok: true, message: payload });
  });
});
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => io.close(() => process.exit(0)));
