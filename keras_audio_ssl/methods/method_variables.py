"""Which of a method's variables the optimizer sees and which its saved file holds.

`MethodVariables` comes before `keras.Model` in `SelfSupervisedMethod`'s bases (the way
`keras.Model` itself is assembled from a `Trainer` and a `Layer`):

- the variables of `optimizer_excluded_variables()` (a method hook: momentum targets,
  trainable-looking layers that the EMA updates) are left out of the trainable lists, so
  the optimizer never touches them, and reported as non-trainable instead;
- dropout's `SeedGenerator` states are not among `weights`, so Keras would not save them
  and a reloaded model would draw other dropout masks: they are saved beside the weights,
  so a resumed run continues training identically.
"""

SEED_STATE_KEY = "seed_generator_state_"


class MethodVariables:
    """The variable lists of `SelfSupervisedMethod` (see the module docstring)."""

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        excluded = {id(v) for v in self.optimizer_excluded_variables()}
        return [v for v in super().trainable_weights if id(v) not in excluded]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return super().non_trainable_weights
        return super().non_trainable_weights + list(self.optimizer_excluded_variables())

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        if not self.trainable:
            return super().non_trainable_variables
        return super().non_trainable_variables + list(self.optimizer_excluded_variables())

    def _seed_generator_states(self):
        weight_ids = {id(w) for w in self.weights}
        return [v for v in self.variables if id(v) not in weight_ids]

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for i, state in enumerate(self._seed_generator_states()):
            store[f"{SEED_STATE_KEY}{i}"] = state

    def load_own_variables(self, store):
        own = {k: store[k] for k in store.keys() if not k.startswith(SEED_STATE_KEY)}
        super().load_own_variables(own)
        for i, state in enumerate(self._seed_generator_states()):
            key = f"{SEED_STATE_KEY}{i}"
            if key in store.keys():
                state.assign(store[key])
