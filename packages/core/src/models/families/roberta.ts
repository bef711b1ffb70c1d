// RoBERTa: RobertaConfig defaults and the RobertaModel / RobertaForMaskedLM heads. The encoder is BERT's
// (bert.ts reads the config the same way); what differs is carried by the spec: position ids that count past
// the padding id (so max_position_embeddings is pad_token_id + 1 longer than the longest input), the LM
// head's fixed exact-gelu activation, and the checkpoint names (`roberta.`, `lm_head.*`).
import type { HfConfig } from '../types.js';
import {
  BERT_DEFAULTS,
  encoderForwardFlops,
  encoderParameterShapes,
  normaliseBertLike,
  type EncoderSpec,
} from './bert.js';
import type { Family, NormaliseOptions } from './types.js';

/** RobertaConfig's `__init__` defaults: BertConfig's, with RoBERTa's special token ids. */
export const ROBERTA_DEFAULTS: Readonly<Record<string, unknown>> = {
  ...BERT_DEFAULTS,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
};

const HEADS = {
  RobertaModel: 'base',
  RobertaForMaskedLM: 'masked-lm',
} as const;

function normaliseRoberta(config: HfConfig, options: Required<NormaliseOptions>) {
  return normaliseBertLike(config, options, {
    family: 'roberta',
    defaults: ROBERTA_DEFAULTS,
    heads: HEADS,
    position_ids: 'padding-offset',
    head_act: 'gelu', // RobertaLMHead applies gelu whatever hidden_act says
  });
}

export const robertaFamily: Family<EncoderSpec> = {
  modelTypes: ['roberta'],
  specFamily: 'roberta',
  architectures: Object.keys(HEADS),
  normalise: normaliseRoberta,
  parameterShapes: encoderParameterShapes,
  forwardFlops: encoderForwardFlops,
  checkpoint: {
    basePrefix: 'roberta',
    aliases: { 'lm_head.decoder.bias': 'lm_head.bias' },
    ignore: [/^lm_head\.decoder\.weight$/, /(^|\.)embeddings\.position_ids$/, /(^|\.)embeddings\.token_type_ids$/],
  },
};
