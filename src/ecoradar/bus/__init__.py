"""The pipeline's transport across machines: NATS JetStream.

The embedded default (``ecoradar serve``, ``ecoradar gateway``) writes in-process. With
``--bus nats://HOST:4222``, a gateway publishes each judged batch to a JetStream stream
partitioned by MN (:mod:`ecoradar.bus.publisher`), and answers a device once JetStream has
acknowledged the batch; ``ecoradar worker --bus ...`` processes (:mod:`ecoradar.bus.worker`)
consume the partitions, detect and write, and acknowledge each message after its commit.

* :mod:`~ecoradar.bus.config` — names (stream, subjects, consumers), partitions, timings.
* :mod:`~ecoradar.bus.codec` — a batch as bytes (MessagePack; no pickle crosses the network).
* :mod:`~ecoradar.bus.stream` — the stream, the consumers and the workers' membership bucket.
* :mod:`~ecoradar.bus.claims` — exactly-once writes: the last message written per partition,
  kept in the database in the same transaction as the batch.
"""
