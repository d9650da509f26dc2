#!/usr/bin/env python3
"""smtp-outbox.py OUTBOX PORTFILE: a local SMTP stand-in for 'make send' dry runs.

Listens on 127.0.0.1 (a free port, written to PORTFILE once it listens) and stores every
message it is given as OUTBOX/NNNN.eml, byte for byte as the client sent it (dot-stuffing
undone, CRLF kept), and its SMTP envelope as one line of OUTBOX/envelope.tsv:
    NNNN.eml <TAB> MAIL FROM <TAB> RCPT TO, RCPT TO, ...
Nothing is relayed anywhere. It serves until it is terminated (SIGTERM). Only what git
send-email (Net::SMTP) uses is implemented: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
"""
import os
import re
import signal
import socketserver
import sys
import threading

OUTBOX, PORTFILE = sys.argv[1], sys.argv[2]
LOCK = threading.Lock()
ADDR = re.compile(rb'^(?:MAIL FROM|RCPT TO):\s*<([^>]*)>', re.I)


def store(sender, rcpts, data):
    with LOCK:
        n = len([f for f in os.listdir(OUTBOX) if f.endswith('.eml')]) + 1
        name = f'{n:04d}.eml'
        with open(os.path.join(OUTBOX, name), 'wb') as f:
            f.write(data)
        with open(os.path.join(OUTBOX, 'envelope.tsv'), 'a', encoding='utf-8') as f:
            f.write(f"{name}\t{sender}\t{', '.join(rcpts)}\n")
    return name


class Session(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b'\r\n')

    def handle(self):
        sender, rcpts = None, []
        self.reply('220 localhost smtp-outbox (make send dry run: nothing leaves this machine)')
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.strip()
            verb = cmd.split(b' ', 1)[0].upper()
            if verb == b'EHLO':
                self.reply('250-localhost')
                self.reply('250-8BITMIME')
                self.reply('250 SMTPUTF8')
            elif verb == b'HELO':
                self.reply('250 localhost')
            elif verb in (b'MAIL', b'RCPT'):
                m = ADDR.match(cmd)
                if not m:
                    self.reply('501 syntax: MAIL FROM:<address> / RCPT TO:<address>')
                    continue
                addr = m.group(1).decode('utf-8', 'replace')
                if verb == b'MAIL':
                    sender, rcpts = addr, []
                elif sender is None:
                    self.reply('503 MAIL first')
                    continue
                else:
                    rcpts.append(addr)
                self.reply('250 OK')
            elif verb == b'DATA':
                if sender is None or not rcpts:
                    self.reply('503 MAIL and RCPT first')
                    continue
                self.reply('354 end with <CRLF>.<CRLF>')
                chunks = []
                while True:
                    l = self.rfile.readline()
                    if not l:
                        return
                    if l in (b'.\r\n', b'.\n'):
                        break
                    chunks.append(l[1:] if l.startswith(b'..') else l)
                name = store(sender, rcpts, b''.join(chunks))
                self.reply(f'250 OK stored as {name}')
                sender, rcpts = None, []
            elif verb == b'RSET':
                sender, rcpts = None, []
                self.reply('250 OK')
            elif verb == b'NOOP':
                self.reply('250 OK')
            elif verb == b'QUIT':
                self.reply('221 bye')
                return
            else:
                self.reply('502 not implemented')


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    os.makedirs(OUTBOX, exist_ok=True)
    server = Server(('127.0.0.1', 0), Session)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    tmp = PORTFILE + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(f'{server.server_address[1]}\n')
    os.replace(tmp, PORTFILE)
    server.serve_forever()
    server.server_close()


if __name__ == '__main__':
    main()
