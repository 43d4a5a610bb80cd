// The client side of Cognito's SRP (USER_SRP_AUTH), as Amplify computes it: the password never
// leaves the browser; the user pool checks a proof. BigInt for the arithmetic, Web Crypto for
// SHA-256 and HMAC. The rules (the same in every Cognito SRP client, and in the local stack's
// server side, infra/local/moto_ext/srp.py): N is the 3072-bit MODP prime of RFC 3526, g = 2,
// H = SHA-256 over the bytes of "padded hex", k = H(N | g), u = H(A | B),
// x = H(salt | H(poolName | userId | ":" | password)), S = (B - k*g^x)^(a + u*x) mod N,
// K = HKDF-SHA256(salt = u, ikm = S, info = "Caldera Derived Key")[:16],
// signature = HMAC-SHA256(K, poolName | userId | secretBlock | timestamp).

const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';
const N = BigInt(`0x${N_HEX}`);
const G = 2n;
const encoder = new TextEncoder();
type Bytes = Uint8Array<ArrayBuffer>;

/** Even-length hex, with 00 in front when the top bit is set (the number stays positive). */
export function padHex(value: bigint | string): string {
  const text = typeof value === 'string' ? value : value.toString(16);
  if (text.length % 2 === 1) return `0${text}`;
  return /^[89a-f]/i.test(text) ? `00${text}` : text;
}

function hexToBytes(hex: string): Bytes {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function sha256(bytes: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

async function hexHash(hex: string): Promise<bigint> {
  return BigInt(`0x${toHex(await sha256(hexToBytes(hex)))}`);
}

async function hmac(key: Bytes, data: Bytes): Promise<Bytes> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, data));
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Sun Nov 29 17:43:07 UTC 2026", the day of the month without a leading zero. */
export function cognitoTimestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[now.getUTCDay()]} ${MONTHS[now.getUTCMonth()]} ${now.getUTCDate()} ` +
    `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())} UTC ${now.getUTCFullYear()}`;
}

/** The challenge parameters of PASSWORD_VERIFIER that the proof needs. */
export interface PasswordVerifier {
  readonly SALT: string;
  readonly SRP_B: string;
  readonly SECRET_BLOCK: string;
  readonly USER_ID_FOR_SRP: string;
}

/** One sign-in attempt: a fresh secret `a`, its public `A`, then the proof for the server's `B`. */
export class SrpSession {
  private constructor(private readonly a: bigint, readonly largeA: bigint) {}

  static create(): SrpSession {
    for (;;) {
      const a = BigInt(`0x${toHex(crypto.getRandomValues(new Uint8Array(128)))}`) % N;
      const largeA = modPow(G, a, N);
      if (a !== 0n && largeA !== 0n) return new SrpSession(a, largeA);
    }
  }

  /** SRP_A for InitiateAuth. */
  get srpA(): string {
    return this.largeA.toString(16);
  }

  /** The ChallengeResponses (without USERNAME) proving `password` for `challenge`. */
  async passwordClaim(userPoolId: string, password: string, challenge: PasswordVerifier, now = new Date()) {
    const poolName = userPoolId.split('_')[1];
    const largeB = BigInt(`0x${challenge.SRP_B}`);
    if (largeB % N === 0n) throw new Error('invalid SRP_B');
    const u = await hexHash(padHex(this.largeA) + padHex(largeB));
    if (u === 0n) throw new Error('invalid SRP_B');
    const k = await hexHash(padHex(N) + padHex(G));
    const inner = toHex(await sha256(encoder.encode(`${poolName}${challenge.USER_ID_FOR_SRP}:${password}`)));
    const x = await hexHash(padHex(challenge.SALT) + inner);
    const s = modPow(largeB - k * modPow(G, x, N), this.a + u * x, N);
    const prk = await hmac(hexToBytes(padHex(u)), hexToBytes(padHex(s)));
    const key = (await hmac(prk, concat(encoder.encode('Caldera Derived Key'), new Uint8Array([1])))).slice(0, 16);
    const timestamp = cognitoTimestamp(now);
    const secretBlock = Uint8Array.from(atob(challenge.SECRET_BLOCK), (c) => c.charCodeAt(0));
    const message = concat(encoder.encode(poolName), encoder.encode(challenge.USER_ID_FOR_SRP), secretBlock, encoder.encode(timestamp));
    const signature = btoa(String.fromCharCode(...(await hmac(key, message))));
    return { PASSWORD_CLAIM_SECRET_BLOCK: challenge.SECRET_BLOCK, PASSWORD_CLAIM_SIGNATURE: signature, TIMESTAMP: timestamp };
  }
}
