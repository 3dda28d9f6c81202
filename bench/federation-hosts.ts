/**
 * The inbox farm's addresses (bench/federation-farm.ts): server i is
 * 127.1.⌊i/250⌋.(i mod 250 + 1), a loopback address of its own.
 */
export function farmHost(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}
