"""The deployment of one environment: composes the constructs and nothing else."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack, Tags
from constructs import Construct

from stacks.catalog import CatalogAndQuery
from stacks.config import AssetPaths, EnvironmentConfig
from stacks.functions import grant_logs_service
from stacks.ingestion import Ingestion
from stacks.monitoring import Monitoring
from stacks.orchestration import Orchestration
from stacks.processing import Processing
from stacks.storage import LakeStorage


class SpotifyLakeStack(Stack):
    """Everything spotify-lake needs in one account and region, named after the environment."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: EnvironmentConfig,
        assets: AssetPaths | None = None,
        skip_pip_install: bool = False,
    ) -> None:
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            description=f"spotify-lake ({config.name}): Spotify listening-analytics lakehouse",
            env=Environment(account=config.account, region=config.region) if config.account or config.region else None,
            termination_protection=config.retain_data,
        )
        assets = assets or AssetPaths()
        Tags.of(self).add("project", "spotify-lake")
        Tags.of(self).add("environment", config.name)

        self.storage = LakeStorage(self, "Storage", config=config)
        if self.storage.key is not None:
            grant_logs_service(self.storage.key)
        self.ingestion = Ingestion(
            self, "Ingestion", config=config, storage=self.storage, assets=assets, skip_pip_install=skip_pip_install
        )
        self.processing = Processing(self, "Processing", config=config, storage=self.storage, assets=assets)
        self.catalog = CatalogAndQuery(self, "CatalogAndQuery", config=config, storage=self.storage, assets=assets)
        self.orchestration = Orchestration(
            self,
            "Orchestration",
            config=config,
            storage=self.storage,
            ingestion=self.ingestion,
            processing=self.processing,
            catalog=self.catalog,
            assets=assets,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            ingestion=self.ingestion,
            processing=self.processing,
            catalog=self.catalog,
            orchestration=self.orchestration,
        )

        outputs = {
            "SecretArn": (
                self.ingestion.secret.secret_arn,
                "Spotify credentials: `spotify_lake authorize --secret-id`",
            ),
            "StateMachineArn": (self.orchestration.state_machine.state_machine_arn, "The daily pipeline"),
            "ExtractorFunctionName": (self.ingestion.extractor.function.function_name, "Extractor Lambda"),
            "AlertsTopicArn": (self.orchestration.alerts.topic_arn, "Failure alerts and alarms"),
            "RawBucketName": (self.storage.raw_bucket.bucket_name, "raw/ and _state/"),
            "CuratedBucketName": (self.storage.curated_bucket.bucket_name, "curated/ and _runs/"),
            "AthenaWorkgroup": (self.catalog.workgroup.ref, "Query the tables and views here"),
            "GlueDatabase": (self.catalog.database.database_name, "Curated tables and views"),
            "Dashboard": (self.monitoring.dashboard.dashboard_name, "CloudWatch dashboard"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
