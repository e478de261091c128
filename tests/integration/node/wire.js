'use strict';
// Wire-level capture of content-header properties received by amqplib.
//
// amqplib decodes field tables into plain JS values, which hides the exact
// type tags (e.g. 'B' vs 'b', 'i' vs 'l') and field order. To check that the
// broker passes message properties through byte-for-byte, this module wraps
// amqplib's internal decoder and records the raw property bytes (flags +
// property list) of every content header received.
//
// MUST be required before amqplib (or ./helpers) is loaded in the process:
// amqplib's frame decoder takes its reference to defs.decode at load time.

const path = require('node:path');

const libDir = path.join(path.dirname(require.resolve('amqplib')), 'lib');
if (require.cache[path.join(libDir, 'frame.js')]) {
  throw new Error('wire.js must be required before amqplib');
}
const defs = require(path.join(libDir, 'defs.js'));
const Args = require(path.join(libDir, 'api_args.js'));

const BASIC_PROPERTIES = 60;
const received = [];
const originalDecode = defs.decode;
defs.decode = function decode(id, buf) {
  if (id === BASIC_PROPERTIES) received.push(Buffer.from(buf));
  return originalDecode(id, buf);
};

// The raw property bytes amqplib sends for publish(..., options).
function encodedProperties(options) {
  const fields = Args.publish('', '', options);
  const frame = defs.encodeProperties(BASIC_PROPERTIES, 1, 0, fields);
  // 7-byte frame header + class(2) weight(2) body size(8); trailing frame-end
  return Buffer.from(frame.subarray(7 + 12, frame.length - 1));
}

module.exports = {
  received,
  encodedProperties,
  clear() {
    received.length = 0;
  },
};
