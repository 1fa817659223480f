"""A Keras classifier with a TensorFlow-only seed."""
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(1234)

model = keras.Sequential(
    [
        keras.layers.Dense(256, activation="relu", input_shape=(784,)),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
