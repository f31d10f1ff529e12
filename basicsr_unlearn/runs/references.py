"""What every run on a benchmark is judged against: its shipped original and retrained models,
and what retraining the latter cost."""
from collections import OrderedDict

from ..zoo import DEFAULT_BENCHMARK, ORIGINAL, retrained_for, training_cost, zoo_weights


def cost_entry(run, group, benchmark=DEFAULT_BENCHMARK):
    """An unlearning run's wall time and steps against those of training the shipped retrained model."""
    retrain_s, retrain_steps = training_cost(retrained_for(group, benchmark), benchmark)
    return OrderedDict(wall_time_s=round(run['wall_time_s'], 1), steps=run['steps'], retrain_time_s=retrain_s,
                       retrain_steps=retrain_steps, time_fraction=run['wall_time_s'] / retrain_s,
                       step_fraction=run['steps'] / retrain_steps)


def reference_models(task, benchmark=DEFAULT_BENCHMARK):
    """{label: weights path} of the original and the retrained shipped models for forgetting ``task``."""
    return OrderedDict([('original', zoo_weights(ORIGINAL, benchmark)),
                        ('retrained', zoo_weights(retrained_for(task, benchmark), benchmark))])
