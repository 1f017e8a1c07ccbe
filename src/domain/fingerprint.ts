/**
 * The normalised form of a claim's text, stored as claims.fingerprint for matching look-alike claims.
 * Every writer of claims uses this one function, so a claim entered by hand and the same sentence
 * extracted from an article get the same fingerprint. Figures keep their meaning: thousands separators
 * go ("14,500" = "14500") but decimal points stay ("3.1" is not "31"), and "%" reads as "percent".
 */
export function claimFingerprint(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/(\d)[,\u202f\u00a0](?=\d{3}(?!\d))/g, '$1')
    .replace(/%/g, ' percent ')
    .replace(/(\d)\.(?=\d)/g, '$1\u0000')
    .replace(/[^\p{L}\p{N}\u0000]+/gu, ' ')
    .replace(/\u0000/g, '.')
    .replace(/\s+/g, ' ')
    .trim();
}
