# TransNeXt's parameter groups in the official DINO and Mask2Former recipes
# (DaiShiResearch/TransNeXt), in mmmeta's parameter names: official `attn.*`
# is `token_mixer.*`, `mlp.dwconv.dwconv` is `mlp.dwconv`, `patch_embed1` is
# `stem`, `patch_embed{2,3}` are `stages.{1,2}.downsample` (their `norm` is
# `post_norm`), `norm{1,2,3}` are `stages.{0,1,2}.norm`, and the block norms
# `block{i}.{j}.norm{1,2}` are matched by `norm1` / `norm2`.
#
# The backbone trains at lr x0.1, without weight decay for biases, norms
# and TransNeXt's own parameters (query embedding, local position bias, CPB
# MLP, temperature). The official keys cover the patch embeddings and stage
# norms of stages 1-3 only, so the stage-4 patch embedding and norm train at
# the full learning rate; this port keeps that.
backbone_nodecay = dict(lr_mult=0.1, decay_mult=0.0)
backbone_decay = dict(lr_mult=0.1)
transnext_custom_keys = {
    'token_mixer.query_embedding': backbone_nodecay,
    'relative_pos_bias_local': backbone_nodecay,
    'cpb': backbone_nodecay,
    'temperature': backbone_nodecay,
    'token_mixer.learnable': backbone_decay,
    'token_mixer.norm': backbone_nodecay,
    'backbone.stem.norm': backbone_nodecay,
    'backbone.stem.conv.weight': backbone_decay,
    'backbone.stem.conv.bias': backbone_nodecay,
    'norm1': backbone_nodecay,
    'norm2': backbone_nodecay,
}
for _name in ('q', 'kv', 'qkv', 'sr', 'proj'):
    transnext_custom_keys[f'token_mixer.{_name}.weight'] = backbone_decay
    transnext_custom_keys[f'token_mixer.{_name}.bias'] = backbone_nodecay
for _name in ('fc1', 'fc2', 'dwconv'):
    transnext_custom_keys[f'mlp.{_name}.weight'] = backbone_decay
    transnext_custom_keys[f'mlp.{_name}.bias'] = backbone_nodecay
for _stage in (0, 1, 2):
    transnext_custom_keys[f'backbone.stages.{_stage}.norm'] = backbone_nodecay
for _stage in (1, 2):
    _prefix = f'backbone.stages.{_stage}.downsample'
    transnext_custom_keys[f'{_prefix}.post_norm'] = backbone_nodecay
    transnext_custom_keys[f'{_prefix}.conv.weight'] = backbone_decay
    transnext_custom_keys[f'{_prefix}.conv.bias'] = backbone_nodecay

# Mask2Former adds the decoder's query and level embeddings, at the full
# rate without weight decay.
_embed = dict(lr_mult=1.0, decay_mult=0.0)
transnext_mask2former_custom_keys = dict(
    transnext_custom_keys,
    **{
        'decode_head.query_embed': _embed,
        'decode_head.query_feat': _embed,
        'decode_head.level_embed': _embed,
    },
)
