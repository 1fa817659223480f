/** A parameter's `state_dict()` key: `fc1.weight`, or `weight` for a model that is one layer (named ''). */
export function stateDictKey(layer: string, param: string): string {
  return layer === '' ? param : `${layer}.${param}`;
}
