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
    .replace(/[^\p{L}\p{N}.]+/gu, ' ')
    // A point survives only between two digits (a decimal), not as a full stop or abbreviation mark.
    .replace(/(?<!\d)\.|\.(?!\d)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
