// Reading and writing the parts of a wasm binary that scripts/shorten-imports.mjs
// and scripts/size-report.mjs need: LEB128 numbers, names, import descriptions.

/** The unsigned LEB128 number at `pos` of `buf`, and the position after it. */
export function leb(buf, pos) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, pos];
}

/** `n` as unsigned LEB128. */
export function encodeLeb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** The name (length-prefixed UTF-8) at `pos`, and the position after it. */
export function readName(buf, pos) {
  const [len, start] = leb(buf, pos);
  return [buf.subarray(start, start + len).toString("utf8"), start + len];
}

/** `s` as a wasm name. */
export const encodeName = (s) => Buffer.concat([encodeLeb(Buffer.byteLength(s)), Buffer.from(s, "utf8")]);

/** Skips the description of an import of `kind`, returning the position after it. */
export function skipDesc(buf, kind, pos) {
  const limits = (p) => {
    const flags = buf[p++];
    [, p] = leb(buf, p);
    if (flags & 1) [, p] = leb(buf, p);
    return p;
  };
  switch (kind) {
    case 0: return leb(buf, pos)[1]; // function: type index
    case 1: return limits(pos + 1); // table: reference type, limits
    case 2: return limits(pos); // memory: limits
    case 3: return pos + 2; // global: value type, mutability
    case 4: return leb(buf, pos + 1)[1]; // tag: attribute, type index
    default: throw new Error(`unknown import kind ${kind}`);
  }
}
