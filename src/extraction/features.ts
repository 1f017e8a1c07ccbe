import type { ClaimKind } from './types.ts';
import type { LocatedQuantity } from './quantities.ts';
import type { Sentence } from './segment.ts';
import { isQuotedSpeech } from './claimant.ts';
import { WEIGHTS, type Disqualifier } from './weights.ts';

export interface SentenceContext {
  text: string;
  sentence: Sentence;
  quantities: LocatedQuantity[];
  /** What the whole block (line or paragraph) the sentence came from looks like: see describeBlock. */
  block: BlockFacts;
  /** True for the first block of the document: usually the headline. */
  firstBlock: boolean;
  hasClaimant: boolean;
  /** A sentence of a transcript turn: the article-layout disqualifiers (headline, byline, caption...) do not apply. */
  speech?: boolean;
}

export interface Scored {
  score: number;
  features: string[];
  kind: ClaimKind;
}


const SUPERLATIVE = /\b(?:record|records|record-breaking|highest|lowest|largest|biggest|smallest|most|least|fewest|worst|best|fastest|slowest|longest|shortest|oldest|youngest|wettest|driest|hottest|coldest|never before|first time|for the first time|unprecedented|all-time|since records began)\b/i;
const COMPARATIVE = /\b(?:more than|fewer than|less than|compared with|compared to|than (?:in|at|the|a|any|last|ever)|overtook|outnumber(?:ed)?|double|twice as|times as|rank(?:ed|s)?|higher|lower|larger|bigger|smaller|greater|up from|down from)\b/i;
const CHANGE = /\b(?:rose|risen|rise|fell|fallen|fall|increased|decreased|declined|dropped|grew|jumped|climbed|surged|soared|plunged|slumped|halved|doubled|tripled|trebled)\b/i;
const ATTRIBUTION = /\b(?:said|says|told|according to|reported|announced|estimated|found|showed|shows|published|confirmed|revealed|stated|claimed|disclosed)\b/i;
const EVENT = /\b(?:arrested|charged|convicted|sentenced|jailed|acquitted|fined|sued|banned|approved|rejected|voted|passed|signed|elected|re-elected|won|lost|beat|defeated|drew|scored|died|killed|injured|wounded|opened|closed|launched|resigned|appointed|sacked|fired|hired|deported|transferred|expelled|released|detained|imprisoned|raided|seized|recalled|cancelled|suspended|announced|agreed|introduced|abolished|cut|raised|awarded|paid|spent|received|built|demolished|discovered|identified|published|recorded|registered|admitted|treated|vaccinated|diagnosed|evacuated|flooded|collapsed|struck|crashed|began|ended|completed|opened|filed|ruled|overturned|upheld|granted|denied|offered|accepted|housed|holds|held|reported|confirmed|asked|called for|wrote to|requested|complained|apologised|apologized|gathered|collected|attracted|surveyed|counted|replaced|invested|investing|lost|losses|closed|employed|hosted|visited|met|launched|won|led|discovered)\b/i;
const CAUSAL = /\b(?:because|due to|owing to|as a result of|as a result|resulted in|result of|led to|leading to|caused|causes|causing|blamed|attributed to|driven by|thanks to|linked to|so that|which meant|meaning that|main cause|the cause of|a cause of|driving|drove|drives|fuelled|fueled|triggered|contributed to|responsible for)\b/i;
const OPINION = /\b(?:should|ought to|must|I think|I believe|we believe|in my view|in our view|it is time|it's time|shameful|disgrace(?:ful)?|outrageous|unacceptable|wonderful|terrible|appalling|brilliant|fantastic|deserve[sd]?|hope|hopes|hoped|welcome[sd]?|delighted|proud|sad|sorry|feel|feels|felt|believe[sd]?|seems?|arguably|clearly|of course|frankly|remarkable|extraordinary|ridiculous|nonsense|absurd|cruel|inhumane|dangerous|reckless|betrayal|cowardly|shabby|stitch-up|shocking|scandalous|heartbreaking|amazing|incredible|great news|good news|bad news|sadly|thankfully|unfortunately|fortunately|wrong|right thing|fair|unfair|disgusting|pathetic|wonderful|lovely|beautiful|worried|fear|fears|afraid|angry|furious|thrilled)\b/i;
const PREDICTION = /\b(?:will|won't|would|could|might|may|shall|is expected to|are expected to|expected to|is likely to|are likely to|likely to|is set to|are set to|forecast(?:s)? to|predicted to|projected to|plans? to|aims? to|intends? to|going to|is due to|are due to|next year|in the coming)\b/i;
const FIRST_PERSON_PLAN = /\b(?:we will|we'll|I will|I'll|we are going to|we want|I want|we need|let's|let us)\b/i;
const CALL_TO_ACTION = /^(?:sign up|sign in|subscribe|share|click|tap|follow|read more|read|download|join|register|donate|contact|tell us|get|log in|watch|listen|email us|send us|support|find out|learn more|see also|don't miss|try|visit|comment|buy)\b/i;
const FURNITURE = /^(?:source link|share this article|share this|advertisement|related|related articles|related stories|more on this story|copyright|all rights reserved|most read|most popular|skip to|cookie|cookies|topics|comments|reuse this content|this article is more than|this article was|first published|last modified|updated|published|posted|image source|image caption|media caption|getty images|listen to this article|print|close|menu|home|newsletter|sponsored|promoted|you might also like|recommended|trending|back to top|view comments|\d+ comments?)\b/i;
// Every word is followed by required whitespace and is at most 40 characters: with optional separators between
// repeated words ("(?:[A-Z][\p{L}]+\s*){1,4}") a 600-character line such as "Ab Cd, AAAA…" took over 100 s.
const BYLINE = /^(?:[Bb]y\s+[A-Z][\p{L}'’.-]{0,39}(?:\s+[A-Z][\p{L}'’.-]{0,39})*|(?:[A-Z][\p{L}'’.-]{0,39}\s+){1,3}(?:in|reports from)\s+[A-Z]\p{L}*$|[A-Z][\p{L}'’.-]{0,39}\s+[A-Z][\p{L}'’.-]{0,39}\s*[,|–—-]\s*(?:[A-Z]\p{L}{1,39}\s+){1,4}(?:correspondent|editor|reporter|writer))/u;
const CAPTION = /^(?:photo|photograph|picture|image|pictured|caption|video|graphic|illustration|above|below|top|main image|file photo)\b\s*[:.\-–—]|(?:photograph|photo|picture|image)\s*:\s*[\p{Lu}]|(?:getty images|\/reuters|\/afp|\/ap\b|\/epa|\/pa\b|\/alamy|\/shutterstock|photo:|picture:|\(photo\b|\(picture\b|\(image\b|credit:)/iu;
const DATELINE = /^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+)?\d{1,2}\s+[A-Z][a-z]+\s+\d{4}(?:\s+\d{1,2}[.:]\d{2})?|^(?:\w+day,?\s+)?[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4}/;
// "the safest", "its busiest": any -est adjective after a determiner, minus the common -est nouns.
const GENERIC_SUPERLATIVE = /\b(?:the|its|their|our|his|her|your|Britain's|America's)\s+(?!(?:interest|west|rest|protest|arrest|request|forest|test|contest|quest|chest|nest|guest|harvest|manifest|inquest|conquest|unrest|priest|crest|midwest|southwest|northwest|digest|behest|zest|pest|vest)\b)[a-z]{2,}est\b/;
const SUPERLATIVE_SCOPE = /\b(?:of any|in the (?:country|world|region|league|division|competition|uk|us|eu|city|county|state)|on record|in history|ever recorded|since records began|in (?:at least |more than )?\d+ years|in (?:a|the last|the past) (?:decade|century|generation)|in (?:Europe|Britain|England|Latin America|Africa|Asia|the Americas))\b/i;
const REPORTED_FORECAST = /\b(?:said|says|told|estimated|claimed|calculated)\b[^.]{0,80}\b(?:would|could|might|may)\b/i;
// Speech reporting a proposition ("X said the drought was ..."), as opposed to a tag on a quotation.
const REPORTED_SPEECH = /^[^"“”]*\b(?:said|says|told [a-z]+|argued|claimed|insisted|stated|estimated|confirmed)\s+(?:that\s+)?(?:the|a|an|its|their|his|her|it|they|there|staff|[a-z]+s)\b/i;
const VAGUE = /^(?:this|that|it|these|those|there|here)\b/i;

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => /\w/.test(w)).length;
}

export interface BlockFacts {
  /** The block reads like a picture caption or credit. */
  caption: boolean;
  /** ...and says so outright (a credit, "Photo:"), so even a block of full sentences is a caption. */
  explicitCaption: boolean;
}

/**
 * Facts about a block, worked out once per block: tested once per sentence instead, a block of n sentences cost
 * n passes over the whole block, quadratic on a long paragraph of short sentences ("A. A. A. …").
 */
export function describeBlock(blockText: string): BlockFacts {
  const block = blockText.trim();
  const caption = CAPTION.test(block);
  return { caption, explicitCaption: caption && (/(?:photograph|photo|picture|image)\s*:|getty|\/reuters|\/afp|credit:/i.test(block) || /^(?:photo|pictured|caption)\b/i.test(block)) };
}

const QUESTION_END = /\?["”’']?$/;
const QUESTION_START = /^(?:who|what|why|how|when|where|which|is|are|do|does|did|can|could|should|would|will)\b[^.]*\?/i;

/** Reasons a sentence can never be a claim whatever else it contains. */
function disqualifier(ctx: SentenceContext): Disqualifier | null {
  const text = ctx.text.trim();
  if (ctx.speech) return QUESTION_END.test(text) || QUESTION_START.test(text) ? 'question' : null;
  if (ctx.block.caption && (ctx.sentence.unterminatedBlock || ctx.block.explicitCaption)) return 'caption';
  if (FURNITURE.test(text) && (wordCount(text) <= 12 || ctx.sentence.unterminatedBlock)) return 'site_furniture';
  if (CALL_TO_ACTION.test(text) && ctx.sentence.indexInBlock === 0) return 'call_to_action';
  if (ctx.sentence.unterminatedBlock && BYLINE.test(text)) return 'byline';
  if (ctx.sentence.unterminatedBlock && DATELINE.test(text) && wordCount(text) <= 8) return 'dateline';
  if (ctx.sentence.unterminatedBlock && (ctx.firstBlock || wordCount(text) <= 22)) return 'headline';
  if (QUESTION_END.test(text) || QUESTION_START.test(text)) return 'question';
  return null;
}

export function scoreSentence(ctx: SentenceContext): Scored {
  const text = ctx.text;
  const features = new Set<string>();
  const dq = disqualifier(ctx);

  for (const q of ctx.quantities) {
    if (q.unit === 'percent' || q.unit === 'percentage_points') features.add('percentage');
    else if (q.unit !== null && /^[A-Z]{3}$/.test(q.unit)) features.add('money');
    else if (q.unit === 'fraction') features.add('proportion');
    else if (q.unit === 'multiplier') features.add('multiplier');
    else if (q.unit === 'date') features.add('date');
    else if (q.unit === 'year') features.add('year');
    else features.add('number');
  }
  if (SUPERLATIVE.test(text) || GENERIC_SUPERLATIVE.test(text)) {
    features.add('superlative');
    // "the worst of any operator in the country" names what it is measured against, so it can be checked.
    if (SUPERLATIVE_SCOPE.test(text)) features.add('superlative_scope');
  }
  else if (COMPARATIVE.test(text)) features.add('comparison');
  if (CHANGE.test(text)) features.add('change');
  if (ATTRIBUTION.test(text) || ctx.hasClaimant) features.add('attribution');
  // Proper nouns after the first word: the first word is capitalised anyway.
  if (ctx.sentence.tokens.slice(1).some((t) => t.pos === 'PROPN' && /^\p{Lu}/u.test(t.value))) features.add('named_entity');
  if (EVENT.test(text)) features.add('event');
  if (CAUSAL.test(text)) features.add('causal');
  const quoted = isQuotedSpeech(text);
  if (quoted) features.add('quote');
  // Quoted speech with no figure and no superlative is usually reaction, not a checkable fact.
  if (quoted && ctx.quantities.length === 0 && !features.has('superlative')) features.add('unquantified_quote');
  if (OPINION.test(text)) features.add('opinion');
  // "X said the closures would save £340,000" reports a claim already made; only genuine forecasts are penalised.
  if (PREDICTION.test(text)) features.add(REPORTED_FORECAST.test(text) ? 'reported_forecast' : 'prediction');
  if (REPORTED_SPEECH.test(text)) features.add('reported_speech');
  if (FIRST_PERSON_PLAN.test(text)) features.add('first_person_plan');
  const words = wordCount(text);
  if (words < 6) features.add('short');
  if (VAGUE.test(text) && ctx.quantities.length === 0 && !features.has('superlative') && !features.has('comparison')) features.add('vague');

  let score = 0;
  for (const f of features) score += WEIGHTS[f] ?? 0;
  // Several figures in one sentence say more than one: statistics-heavy sentences are what checkers check first.
  const figures = ctx.quantities.filter((q) => q.unit !== 'date' && q.unit !== 'year').length;
  if (figures >= 2) score += 0.1;
  if (dq) {
    features.add(dq);
    score = Math.min(score, 0.1);
  }
  score = Math.max(0, Math.min(1, score));

  return { score: Math.round(score * 1000) / 1000, features: [...features], kind: kindOf(features, quoted) };
}

function kindOf(features: Set<string>, quoted: boolean): ClaimKind {
  if (quoted) return 'quote';
  if (features.has('causal')) return 'causal';
  if (features.has('superlative') || features.has('comparison') || features.has('change') || features.has('multiplier')) return 'comparison';
  if (features.has('number') || features.has('percentage') || features.has('money') || features.has('proportion')) return 'statistic';
  if (features.has('event') || features.has('date') || features.has('year')) return 'event';
  return 'other';
}
