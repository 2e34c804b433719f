// Socket.IO's own packet format, with one shortcut: an ack made by okAck (core/exchange-json.ts) is written from
// the JSON its messages already have, the same bytes JSON.stringify would give, instead of stringifying them
// again. Every other packet, and decoding, is socket.io-parser's.
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { ackJson } from '../core/exchange-json.ts';

class ChatEncoder extends Encoder {
  override encode(packet: Packet): ReturnType<Encoder['encode']> {
    if (packet.type === PacketType.ACK && Array.isArray(packet.data) && packet.data.length === 1) {
      const json = ackJson(packet.data[0]);
      // As socket.io-parser writes an ack: the type, the namespace other than "/" and a comma, the id, the data.
      if (json !== undefined) return [`${PacketType.ACK}${packet.nsp && packet.nsp !== '/' ? `${packet.nsp},` : ''}${packet.id ?? ''}[${json}]`];
    }
    return super.encode(packet);
  }
}

/** The parser the chat's Socket.IO server is made with (its `parser` option). */
export const chatParser = { Encoder: ChatEncoder, Decoder };
